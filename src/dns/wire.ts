// DNS message encoding and decoding (RFC 1035 §4) for the few record types mail needs.
// Pure functions over bytes; the transport (transport.ts) and the resolver (resolver.ts) use them.

export const RRTYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, OPT: 41 } as const;
export type RrTypeName = Exclude<keyof typeof RRTYPE, "OPT">;

/** RFC 1035 §4.1.1 RCODE values, plus the ones RFC 2136/6895 named that we may see. */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export type RData =
  | { type: "A" | "AAAA" | "CNAME" | "PTR" | "NS"; value: string }
  | { type: "MX"; priority: number; exchange: string }
  | { type: "TXT"; strings: string[] }
  | { type: "OTHER"; code: number };

export type Answer = { name: string; ttl: number; rdata: RData };

export type Message = {
  id: number;
  truncated: boolean;
  rcode: number;
  qname: string;
  qtype: number;
  answers: Answer[];
  /**
   * How long a negative answer (NXDOMAIN, NODATA) may be cached: the smaller of the SOA
   * record's TTL and its MINIMUM field, from the authority section (RFC 2308 §5); 0 without one.
   */
  negativeTtl: number;
};

export class WireError extends Error {}

/** A-label name → wire labels (RFC 1035 §3.1: labels ≤ 63 octets, whole name ≤ 255). */
function encodeName(name: string): number[] {
  const out: number[] = [];
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  if (trimmed !== "") {
    for (const label of trimmed.split(".")) {
      const b = new TextEncoder().encode(label);
      if (b.length === 0 || b.length > 63) throw new WireError(`bad label in ${JSON.stringify(name)}`);
      out.push(b.length, ...b);
    }
  }
  out.push(0);
  if (out.length > 255) throw new WireError(`name too long: ${name.slice(0, 40)}…`);
  return out;
}

/**
 * A standard query with RD set (we ask a recursive resolver, RFC 1035 §4.1.1). With `edns`,
 * an OPT record advertises a 1232-byte UDP payload (RFC 6891 §6.2.5; the DNS flag day size),
 * so that DKIM keys and long SPF records usually fit without falling back to TCP.
 */
export function encodeQuery(id: number, name: string, qtype: number, edns: boolean): Uint8Array {
  const head = [id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0];
  const question = [...encodeName(name), qtype >> 8, qtype & 0xff, 0, 1];
  const opt = edns ? [0, 0, RRTYPE.OPT, 1232 >> 8, 1232 & 0xff, 0, 0, 0, 0, 0, 0] : [];
  return Uint8Array.from([...head, ...question, ...opt]);
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new WireError("truncated message");
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  u32(): number {
    return this.u16() * 65536 + this.u16();
  }
  /** A possibly compressed name (RFC 1035 §4.1.4); pointers must go backwards, so it ends. */
  name(): string {
    const labels: string[] = [];
    let pos = this.pos;
    let jumped = false;
    for (let hops = 0; hops < 128; hops++) {
      if (pos >= this.buf.length) throw new WireError("name runs past the message");
      const len = this.buf[pos]!;
      if (len === 0) {
        if (!jumped) this.pos = pos + 1;
        return labels.join(".");
      }
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new WireError("bad compression pointer");
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1]!;
        if (target >= pos) throw new WireError("forward compression pointer");
        if (!jumped) this.pos = pos + 2;
        jumped = true;
        pos = target;
        continue;
      }
      if (len > 63) throw new WireError("bad label length");
      if (pos + 1 + len > this.buf.length) throw new WireError("label runs past the message");
      labels.push(ascii(this.buf.subarray(pos + 1, pos + 1 + len)));
      pos += 1 + len;
    }
    throw new WireError("name has too many labels");
  }
}

/** Label bytes as text; bytes outside printable ASCII keep RFC 1035 §5.1 `\DDD` form. */
function ascii(b: Uint8Array): string {
  let s = "";
  for (const c of b) s += c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c ? String.fromCharCode(c) : `\\${String(c).padStart(3, "0")}`;
  return s;
}

export function decodeMessage(buf: Uint8Array): Message {
  const r = new Reader(buf);
  const id = r.u16();
  const flags = r.u16();
  const qd = r.u16();
  const an = r.u16();
  const ns = r.u16();
  r.u16(); // ARCOUNT: the additional section is not read
  if ((flags & 0x8000) === 0) throw new WireError("not a response");
  let qname = "";
  let qtype = 0;
  for (let i = 0; i < qd; i++) {
    qname = r.name();
    qtype = r.u16();
    r.u16();
  }
  const answers: Answer[] = [];
  for (let i = 0; i < an; i++) {
    const { name, type, ttl, end } = recordHeader(r);
    answers.push({ name, ttl, rdata: readRData(r, type, end) });
    r.pos = end;
  }
  let negativeTtl = 0;
  for (let i = 0; i < ns; i++) {
    const { type, ttl, end } = recordHeader(r);
    if (type === RRTYPE.SOA) {
      // RFC 1035 §3.3.13: MNAME, RNAME, SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM.
      r.name();
      r.name();
      r.need(20);
      r.pos += 16;
      negativeTtl = Math.min(ttl, r.u32());
    }
    r.pos = end;
  }
  return { id, truncated: (flags & 0x0200) !== 0, rcode: flags & 0x0f, qname, qtype, answers, negativeTtl };
}

/** A resource record's fixed part (RFC 1035 §4.1.3); `end` is where its RDATA stops. */
function recordHeader(r: Reader): { name: string; type: number; ttl: number; end: number } {
  const name = r.name();
  const type = r.u16();
  r.u16(); // class
  const ttl = r.u32();
  const len = r.u16();
  r.need(len);
  return { name, type, ttl, end: r.pos + len };
}

function readRData(r: Reader, type: number, end: number): RData {
  const b = r.buf;
  switch (type) {
    case RRTYPE.A:
      if (end - r.pos !== 4) throw new WireError("bad A record");
      return { type: "A", value: Array.from(b.subarray(r.pos, end)).join(".") };
    case RRTYPE.AAAA:
      if (end - r.pos !== 16) throw new WireError("bad AAAA record");
      return { type: "AAAA", value: formatIPv6(b.subarray(r.pos, end)) };
    case RRTYPE.CNAME:
    case RRTYPE.PTR:
    case RRTYPE.NS:
      return { type: type === RRTYPE.CNAME ? "CNAME" : type === RRTYPE.PTR ? "PTR" : "NS", value: r.name() };
    case RRTYPE.MX: {
      const priority = r.u16();
      return { type: "MX", priority, exchange: r.name() };
    }
    case RRTYPE.TXT: {
      // RFC 1035 §3.3.14: one or more <character-string>s, each a length octet and data.
      const strings: string[] = [];
      while (r.pos < end) {
        const n = r.u8();
        if (r.pos + n > end) throw new WireError("bad TXT string");
        strings.push(new TextDecoder().decode(b.subarray(r.pos, r.pos + n)));
        r.pos += n;
      }
      return { type: "TXT", strings };
    }
    default:
      return { type: "OTHER", code: type };
  }
}

/** RFC 5952 §4 text form: lower case, no leading zeros, the longest run of ≥2 zero groups as "::". */
export function formatIPv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
