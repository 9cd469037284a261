// Where to deliver mail for a domain: MX lookup and ordering (RFC 5321 §5.1), implicit MX,
// null MX (RFC 7505), address literals and IDN. The caller (queue worker) tries the hosts in
// order, each host's addresses in order.

import { isIPv4, isIPv6, isIP } from "node:net";
import { domainToASCII } from "node:url";
import { DnsError, type DnsResolver } from "../dns/resolver.ts";

export type MxHost = { host: string; preference: number; addresses: string[] };

export type MxResult =
  | { kind: "hosts"; hosts: MxHost[]; implicit: boolean }
  | { kind: "nullmx" }
  | { kind: "nodomain" }
  | { kind: "temperror"; reason: string };

export type MxOptions = {
  /** [0, 1) source for shuffling equal preferences; injectable for tests. */
  random?: () => number;
  /** List a host's IPv6 addresses before its IPv4 ones (default: IPv4 first). */
  preferIPv6?: boolean;
};

// Note: RFC 5321 §5.1 also says that a client finding its own name among the MX hosts MUST
// drop that host and every less preferred one (backup MX relaying to the primary). That needs
// our own name, so src/delivery/targets.ts withoutSelf applies it to this result.
// Note: hosts are not capped here; the worker decides how many it tries per attempt.

export async function resolveMx(domain: string, resolver: DnsResolver, opts: MxOptions = {}): Promise<MxResult> {
  const literal = addressLiteral(domain);
  if (literal !== undefined) {
    return literal ? { kind: "hosts", hosts: [{ host: domain, preference: 0, addresses: [literal] }], implicit: true } : { kind: "nodomain" };
  }
  const name = toALabel(domain);
  if (!name) return { kind: "nodomain" };

  let records: { exchange: string; priority: number }[];
  try {
    records = await resolver.mx(name);
  } catch (e) {
    const code = e instanceof DnsError ? e.code : "OTHER";
    // RFC 5321 §5.1: a name that does not exist is a permanent failure.
    if (code === "NXDOMAIN") return { kind: "nodomain" };
    // SERVFAIL, timeouts…: we do not know whether MX records exist; never fall back to A.
    if (code !== "NODATA") return { kind: "temperror", reason: describe(e) };
    records = [];
  }

  // RFC 7505 §3: a null MX is a single MX record, preference 0, exchange "." (root).
  if (records.length === 1 && records[0]!.priority === 0 && isRoot(records[0]!.exchange)) return { kind: "nullmx" };

  if (records.length === 0) return await implicitMx(name, resolver, opts);
  return await explicitMx(records, resolver, opts);
}

/**
 * RFC 5321 §5.1: no MX records → the domain itself is the single host (implicit MX), if it
 * has A or AAAA records. Neither → the domain cannot receive mail: permanent.
 */
async function implicitMx(name: string, resolver: DnsResolver, opts: MxOptions): Promise<MxResult> {
  const looked = await addressesOf(name, resolver, opts);
  if (looked.addresses.length > 0) return { kind: "hosts", hosts: [{ host: name, preference: 0, addresses: looked.addresses }], implicit: true };
  if (looked.temporary) return { kind: "temperror", reason: looked.temporary };
  return { kind: "nodomain" };
}

async function explicitMx(records: { exchange: string; priority: number }[], resolver: DnsResolver, opts: MxOptions): Promise<MxResult> {
  // One entry per host name, at its most preferred (lowest) value.
  const best = new Map<string, number>();
  const skipped: string[] = [];
  for (const r of records) {
    const host = r.exchange.replace(/\.$/, "").toLowerCase();
    // RFC 7505 §3: "." is never a host (a null MX mixed with real ones is a misconfiguration).
    if (isRoot(host)) continue;
    // RFC 1035 §3.3.9 / RFC 5321 §5.1: the exchange is a host *name*; an address there is
    // invalid and skipped (as Exim does by default) rather than guessed at.
    if (isIP(host)) {
      skipped.push(`${host}: MX points to an IP address`);
      continue;
    }
    const prev = best.get(host);
    if (prev === undefined || r.priority < prev) best.set(host, r.priority);
  }
  const ordered = orderByPreference([...best].map(([host, preference]) => ({ host, preference })), opts.random ?? Math.random);

  // Look every host up at once; a host whose name leads to an alias (RFC 2181 §10.3 forbids
  // it) is still used, as the resolver follows the CNAME.
  const looked = await Promise.all(ordered.map((h) => addressesOf(h.host, resolver, opts)));
  const hosts: MxHost[] = [];
  ordered.forEach((h, i) => {
    const l = looked[i]!;
    if (l.addresses.length > 0) hosts.push({ ...h, addresses: l.addresses });
    else skipped.push(`${h.host}: ${l.temporary ?? "no A/AAAA records"}`);
  });
  if (hosts.length > 0) return { kind: "hosts", hosts, implicit: false };
  // RFC 5321 §5.1: MX records present but none usable MUST be reported as an error. We make it
  // temporary: the domain exists and publishes MX, so missing addresses are a DNS mistake its
  // owner usually fixes; the queue's lifetime bounds the retries and the sender hears of it.
  return { kind: "temperror", reason: `no usable MX host (${skipped.join("; ") || "none"})` };
}

/**
 * RFC 5321 §5.1: hosts in ascending preference; among equal preferences the order MUST be
 * randomised to spread the load (Fisher–Yates within each group).
 */
export function orderByPreference<T extends { preference: number }>(items: readonly T[], random: () => number): T[] {
  const sorted = [...items].sort((a, b) => a.preference - b.preference);
  for (let start = 0; start < sorted.length; ) {
    let end = start;
    while (end < sorted.length && sorted[end]!.preference === sorted[start]!.preference) end++;
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(random() * (i - start + 1));
      [sorted[i], sorted[j]] = [sorted[j]!, sorted[i]!];
    }
    start = end;
  }
  return sorted;
}

/** A and AAAA of one host; `temporary` says why none were found when the cause may pass. */
async function addressesOf(host: string, resolver: DnsResolver, opts: MxOptions): Promise<{ addresses: string[]; temporary?: string }> {
  const [v4, v6] = await Promise.allSettled([resolver.a(host), resolver.aaaa(host)]);
  const got = (r: PromiseSettledResult<string[]>) => (r.status === "fulfilled" ? r.value : []);
  const addresses = opts.preferIPv6 ? [...got(v6), ...got(v4)] : [...got(v4), ...got(v6)];
  const temp = [v4, v6].find((r) => r.status === "rejected" && !isNoRecords(r.reason));
  return { addresses: [...new Set(addresses)], temporary: temp?.status === "rejected" ? describe(temp.reason) : undefined };
}

const isNoRecords = (e: unknown) => e instanceof DnsError && (e.code === "NXDOMAIN" || e.code === "NODATA");
const isRoot = (exchange: string) => exchange === "" || exchange === ".";
const describe = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * RFC 5321 §4.1.3 address literal: "[192.0.2.1]" or "[IPv6:2001:db8::1]". Returns the address,
 * "" for a bracketed form that is not a valid literal, undefined for an ordinary domain.
 */
function addressLiteral(domain: string): string | undefined {
  const m = /^\[(.*)\]$/.exec(domain);
  if (!m) return undefined;
  const inner = m[1]!;
  if (isIPv4(inner)) return inner;
  const v6 = /^ipv6:(.*)$/i.exec(inner);
  if (v6 && isIPv6(v6[1]!)) return v6[1]!;
  return "";
}

/** RFC 5890 A-label form (punycode for U-labels), lower case, no trailing dot; "" if invalid. */
function toALabel(domain: string): string {
  const trimmed = domain.trim().replace(/\.$/, "");
  if (!trimmed || trimmed.includes("..")) return "";
  return domainToASCII(trimmed).toLowerCase();
}
