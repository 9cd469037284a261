// IP address text for the reputation handlers: one spelling per address, so that a PTR/A
// round trip, a DNSBL query name and a HELO literal compare equal however they were written.

import { isIP } from "node:net";
import { reverseName } from "../dns/resolver.ts";

/** "::ffff:192.0.2.1" (an IPv4 client on a dual-stack socket) → "192.0.2.1"; others unchanged. */
export function unmapIp(ip: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  return m ? m[1]! : ip;
}

/** Same address? IPv6 compared in full nibble form (RFC 5952 allows several spellings). */
export function sameIp(a: string, b: string): boolean {
  const x = unmapIp(a);
  const y = unmapIp(b);
  if (isIP(x) === 0 || isIP(x) !== isIP(y)) return false;
  return reverseName(x) === reverseName(y);
}
