// The DNS resolver used by outbound delivery (MX routing) and the trust handlers (SPF, DKIM,
// DMARC, DNSBL, FCrDNS). Own stub resolver over transport.ts instead of node:dns, because
// Bun 1.4's node:dns reports NODATA as ENOTFOUND (DMARC's domain-existence test, RFC 9091 §2.1
// and mailauth, needs the difference), splits one TXT record's strings into separate records
// (oven-sh/bun#21370: breaks DKIM keys > 255 bytes) and rounds timeouts up to whole seconds.

import { promises as nodeDns } from "node:dns";
import { isIPv4, isIPv6 } from "node:net";
import { AnswerCache } from "./cache.ts";
import { exchange, parseServer, type Server } from "./transport.ts";
import { RCODE, RRTYPE, WireError, type Answer, type RData, type RrTypeName } from "./wire.ts";

export type DnsErrorCode = "NXDOMAIN" | "NODATA" | "SERVFAIL" | "TIMEOUT" | "REFUSED" | "OTHER";

/** node:dns error codes for each of ours (what mailauth and other node code test for). */
const NODE_CODE: Record<DnsErrorCode, string> = {
  NXDOMAIN: "ENOTFOUND",
  NODATA: "ENODATA",
  SERVFAIL: "ESERVFAIL",
  TIMEOUT: "ETIMEOUT",
  REFUSED: "EREFUSED",
  OTHER: "EBADRESP",
};

export class DnsError extends Error {
  readonly code: DnsErrorCode;
  /** The queried name (shadows Error#name on purpose: the API promised it). */
  override readonly name: string;
  readonly hostname: string;
  readonly rrtype: string;
  /** The node:dns code for resolve(); defaults to the mapping of `code`. */
  readonly nodeCode: string;
  constructor(code: DnsErrorCode, name: string, rrtype: string, detail?: string, nodeCode?: string) {
    super(`DNS ${rrtype} ${name}: ${code}${detail ? ` (${detail})` : ""}`);
    this.code = code;
    this.name = name;
    this.hostname = name;
    this.rrtype = rrtype;
    this.nodeCode = nodeCode ?? NODE_CODE[code];
  }
}

export type DnsResolver = {
  mx(name: string): Promise<{ exchange: string; priority: number }[]>;
  a(name: string): Promise<string[]>;
  aaaa(name: string): Promise<string[]>;
  /** One inner array per TXT record, holding its character-strings (join them for SPF/DKIM). */
  txt(name: string): Promise<string[][]>;
  /** PTR records of a name, or of an IP address (queried under in-addr.arpa / ip6.arpa). */
  ptr(name: string): Promise<string[]>;
  /** dns.promises.resolve-compatible, for mailauth's `resolver` option; throws node-style codes. */
  resolve(name: string, rrtype: string): Promise<any>;
};

export type ResolverOptions = {
  servers: readonly string[];
  timeoutMs: number;
  tries: number;
  /** Positive answers kept (src/dns/cache.ts); 0 switches the cache off. Default 10,000. */
  cacheEntries?: number;
  /** Clock for the cache (tests). */
  now?: () => number;
};

const DEFAULT_CACHE_ENTRIES = 10_000;

/** CNAME hops followed per lookup, across re-queries (RFC 1034 §3.6.2 chains must end). */
const MAX_CNAME_HOPS = 8;

export function createResolver(opts: ResolverOptions): DnsResolver {
  const servers: Server[] = (opts.servers.length ? opts.servers : systemServers()).map(parseServer);
  const tries = Math.max(1, opts.tries);
  // Records, or the NXDOMAIN / NODATA error a negative answer stands for (RFC 2308).
  const cache = new AnswerCache<RData[] | DnsError>(opts.cacheEntries ?? DEFAULT_CACHE_ENTRIES, opts.now);

  async function query(name: string, type: RrTypeName): Promise<RData[]> {
    const bare = name.replace(/\.$/, "");
    const got = await cache.get(`${type} ${bare.toLowerCase()}`, () => lookup(name, bare, type));
    if (got instanceof DnsError) throw got;
    return got;
  }

  /**
   * One lookup on the wire, following CNAMEs; the TTL is the smallest of the answers used.
   * NXDOMAIN and NODATA come back as values, kept for the SOA's negative TTL (RFC 2308 §5);
   * SERVFAIL, REFUSED and timeouts are thrown and never cached.
   */
  async function lookup(name: string, start: string, type: RrTypeName): Promise<{ value: RData[] | DnsError; ttl: number }> {
    let current = start;
    let ttl = Infinity;
    for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
      let res;
      try {
        res = await exchange(servers, current, RRTYPE[type], opts.timeoutMs, tries);
      } catch (e) {
        // A name that cannot be encoded (empty label, > 63 octets): node calls it EBADNAME.
        if (e instanceof WireError) throw new DnsError("OTHER", name, type, e.message, "EBADNAME");
        throw e;
      }
      if (!res.ok) throw new DnsError("TIMEOUT", name, type, res.detail);
      const { rcode, answers } = res.message;
      for (const a of answers) ttl = Math.min(ttl, a.ttl);
      if (rcode === RCODE.SERVFAIL) throw new DnsError("SERVFAIL", name, type);
      if (rcode === RCODE.REFUSED) throw new DnsError("REFUSED", name, type);
      // RFC 6604 §3: after a CNAME the RCODE describes the last name of the chain.
      if (rcode === RCODE.NXDOMAIN) return { value: new DnsError("NXDOMAIN", name, type), ttl: Math.min(ttl, res.message.negativeTtl) };
      if (rcode !== RCODE.NOERROR) throw new DnsError("OTHER", name, type, `rcode ${rcode}`);
      const chased = followChain(answers, current, type);
      if (chased.records.length > 0) return { value: chased.records, ttl: Number.isFinite(ttl) ? ttl : 0 };
      // A server that is authoritative only for the first zone stops at an out-of-zone CNAME.
      if (chased.end === current) return { value: new DnsError("NODATA", name, type), ttl: Math.min(ttl, res.message.negativeTtl) };
      current = chased.end;
    }
    throw new DnsError("OTHER", name, type, "CNAME chain too long");
  }

  const values = async (name: string, type: "A" | "AAAA" | "CNAME" | "PTR" | "NS") =>
    (await query(name, type)).flatMap((r) => ("value" in r ? [r.value] : []));
  const mx = async (name: string) =>
    (await query(name, "MX")).flatMap((r) => (r.type === "MX" ? [{ exchange: r.exchange, priority: r.priority }] : []));
  const txt = async (name: string) => (await query(name, "TXT")).flatMap((r) => (r.type === "TXT" ? [r.strings] : []));
  const ptr = (name: string) => values(isIPv4(name) || isIPv6(name) ? reverseName(name) : name, "PTR");

  return {
    mx,
    a: (name) => values(name, "A"),
    aaaa: (name) => values(name, "AAAA"),
    txt,
    ptr,
    async resolve(name, rrtype = "A") {
      try {
        switch (rrtype.toUpperCase()) {
          case "A":
          case "AAAA":
          case "CNAME":
          case "PTR":
          case "NS":
            return await values(name, rrtype.toUpperCase() as "A");
          case "MX":
            return await mx(name);
          case "TXT":
            return await txt(name);
          default:
            throw Object.assign(new Error(`rrtype ${rrtype} is not supported`), { code: "ENOTIMP", hostname: name });
        }
      } catch (e) {
        if (!(e instanceof DnsError)) throw e;
        // node:dns error shape: code, hostname, syscall ("queryTxt" …).
        const syscall = `query${rrtype[0]!.toUpperCase()}${rrtype.slice(1).toLowerCase()}`;
        throw Object.assign(new Error(`${syscall} ${e.nodeCode} ${name}`), { code: e.nodeCode, hostname: name, syscall });
      }
    },
  };
}

/**
 * Records of `type` owned by `start`, following CNAMEs inside the answer section. `end` is the
 * last name of the chain, so the caller can ask again when the chain leaves the answer.
 */
function followChain(answers: readonly Answer[], start: string, type: RrTypeName): { records: RData[]; end: string } {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  let name = start;
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const here = answers.filter((a) => same(a.name, name));
    const records = here.filter((a) => a.rdata.type === type).map((a) => a.rdata);
    if (records.length > 0 || type === "CNAME") return { records, end: name };
    const cname = here.find((a) => a.rdata.type === "CNAME");
    if (!cname || cname.rdata.type !== "CNAME") return { records: [], end: name };
    name = cname.rdata.value;
  }
  return { records: [], end: name };
}

/** The in-addr.arpa / ip6.arpa name of an address (RFC 1035 §3.5, RFC 3596 §2.5). */
export function reverseName(ip: string): string {
  if (isIPv4(ip)) return `${ip.split(".").reverse().join(".")}.in-addr.arpa`;
  if (!isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  const [head = "", tail = ""] = ip.includes("::") ? ip.split("::") : [ip, ""];
  // An embedded IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
  const groups = (s: string) =>
    (s ? s.split(":") : []).flatMap((g) => {
      if (!isIPv4(g)) return [g];
      const [a = 0, b = 0, c = 0, d = 0] = g.split(".").map(Number);
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  const h = groups(head);
  const t = groups(tail);
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const nibbles = all.map((g) => g.padStart(4, "0")).join("").split("");
  return `${nibbles.reverse().join(".")}.ip6.arpa`;
}

/** The system's resolvers (resolv.conf) as node:dns sees them; loopback:53 if none. */
function systemServers(): string[] {
  const list = new nodeDns.Resolver().getServers();
  return list.length ? list : ["127.0.0.1"];
}
