// Query names for IP address DNSxLs (RFC 5782): the address reversed, prepended to the zone.

import { isIP } from "node:net";
import { reverseName } from "../dns/resolver.ts";
import { unmapIp } from "./iprev-ip.ts";

/**
 * RFC 5782 §2.1: IPv4 octets in reverse order ("192.0.2.99" → "99.2.0.192.<zone>");
 * RFC 5782 §2.4: IPv6 as 32 reversed nibbles, like ip6.arpa (RFC 3596 §2.5).
 * An IPv4-mapped IPv6 client is looked up as the IPv4 address it is.
 */
export function dnsblName(ip: string, zone: string): string {
  const addr = unmapIp(ip);
  if (isIP(addr) === 0) throw new TypeError(`not an IP address: ${ip}`);
  const reversed = reverseName(addr).replace(/\.(?:in-addr|ip6)\.arpa$/, "");
  return `${reversed}.${zone.replace(/^\.+|\.+$/g, "")}`;
}
