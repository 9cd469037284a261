// Client networks for the trust handlers: "trusted" networks skip inbound checks (as Postfix's
// mynetworks or rspamd's local_addrs), and greylisting groups clients by network.
// node:net's BlockList does the matching, including IPv4-mapped IPv6 addresses.

import { BlockList, isIP } from "node:net";

export type NetworkList = { has(ip: string): boolean; readonly source: readonly string[] };

/** Parses "192.0.2.0/24", "2001:db8::/32" or a bare address; throws on anything else. */
export function networkList(cidrs: readonly string[]): NetworkList {
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split("/");
    const family = isIP(addr ?? "");
    if (family === 0) throw new TypeError(`not an IP network: ${JSON.stringify(c)}`);
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) {
      throw new TypeError(`bad prefix length in ${JSON.stringify(c)}`);
    }
    list.addSubnet(addr!, prefix, family === 4 ? "ipv4" : "ipv6");
  }
  return {
    source: [...cidrs],
    has(ip: string): boolean {
      const family = isIP(ip);
      if (family === 0) return false;
      return list.check(ip, family === 4 ? "ipv4" : "ipv6");
    },
  };
}

/** The client's network for greylisting: IPv4 /24, IPv6 /64 (RFC 6647 §4.1 suggests grouping). */
export function clientNetwork(ip: string, v4Prefix = 24, v6Prefix = 64): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const addr = mapped ? mapped[1]! : ip;
  const family = isIP(addr);
  if (family === 4) {
    const n = addr.split(".").reduce((a, o) => (a << 8) | Number(o), 0) >>> 0;
    const masked = v4Prefix === 0 ? 0 : (n & (0xffffffff << (32 - v4Prefix))) >>> 0;
    return `${[24, 16, 8, 0].map((s) => (masked >>> s) & 255).join(".")}/${v4Prefix}`;
  }
  if (family === 6) {
    const groups = expandIPv6(addr);
    const out: number[] = [];
    for (let i = 0; i < 8; i++) {
      const bits = Math.max(0, Math.min(16, v6Prefix - i * 16));
      out.push(bits === 0 ? 0 : groups[i]! & ((0xffff << (16 - bits)) & 0xffff));
    }
    return `${out.map((g) => g.toString(16)).join(":")}/${v6Prefix}`;
  }
  return ip;
}

function expandIPv6(a: string): number[] {
  const [head, tail] = a.includes("::") ? a.split("::") : [a, null];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4 forms other than the mapped one) counts as two groups.
  const expand = (parts: string[]) =>
    parts.flatMap((p) => (p.includes(".") ? (() => { const o = p.split(".").map(Number); return [(o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!]; })() : [parseInt(p, 16)]));
  const hh = expand(h);
  const tt = expand(t);
  const fill = tail === null ? [] : new Array(8 - hh.length - tt.length).fill(0);
  return [...hh, ...fill, ...tt];
}
