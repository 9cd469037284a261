// The "iprev" check (RFC 8601 §3, forward-confirmed reverse DNS): the client IP's PTR names,
// each looked up forward; pass when one of them has the IP among its addresses.

import { isIPv4 } from "node:net";
import type { DnsResolver } from "../dns/resolver.ts";
import { dnsErrorCode, withinDeadline } from "./dnsbl-deadline.ts";
import { sameIp, unmapIp } from "./iprev-ip.ts";

/** RFC 8601 §2.7.3 iprev results (permerror is not produced: every failure here is either definite or transient). */
export type IprevResult = "pass" | "fail" | "temperror";

export type Iprev = {
  readonly result: IprevResult;
  readonly ip: string;
  /** PTR names found (at most maxNames of them were checked). */
  readonly names: readonly string[];
  /** The first name that resolves back to the IP. */
  readonly confirmed: string | null;
  /** Why, for the trace ("PTR NXDOMAIN", "no name resolves back", "PTR SERVFAIL"). */
  readonly reason: string;
};

export type IprevOptions = {
  /** Names checked (RFC 7208 §5.5 sets the same bound of 10 for SPF's PTR mechanism). */
  readonly maxNames: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
};

export async function checkIprev(dns: DnsResolver, remoteIp: string, opts: IprevOptions): Promise<Iprev> {
  const ip = unmapIp(remoteIp);
  const lookup = <T>(p: Promise<T>, name: string, type: string) => withinDeadline(p, opts.timeoutMs, opts.signal, name, type);
  let names: string[];
  try {
    names = await lookup(dns.ptr(ip), ip, "PTR");
  } catch (e) {
    const code = dnsErrorCode(e);
    // RFC 8601 §3: no PTR at all is a fail; a lookup that could not complete is temperror.
    const definite = code === "NXDOMAIN" || code === "NODATA";
    return { result: definite ? "fail" : "temperror", ip, names: [], confirmed: null, reason: `PTR ${code}` };
  }
  names = names.map((n) => n.replace(/\.$/, "").toLowerCase());
  const checked = names.slice(0, opts.maxNames);
  const forward = await Promise.all(
    checked.map(async (name) => {
      try {
        const addrs = await lookup(isIPv4(ip) ? dns.a(name) : dns.aaaa(name), name, isIPv4(ip) ? "A" : "AAAA");
        return { name, match: addrs.some((a) => sameIp(a, ip)), temp: false };
      } catch (e) {
        const code = dnsErrorCode(e);
        return { name, match: false, temp: code !== "NXDOMAIN" && code !== "NODATA" };
      }
    }),
  );
  const hit = forward.find((f) => f.match);
  if (hit) return { result: "pass", ip, names, confirmed: hit.name, reason: `${hit.name} resolves back` };
  // Only a definite "no" from every name is a fail; an unanswered forward lookup might have matched.
  if (forward.some((f) => f.temp)) return { result: "temperror", ip, names, confirmed: null, reason: "forward lookup failed" };
  return { result: "fail", ip, names, confirmed: null, reason: `no name resolves back (${checked.join(", ")})` };
}

/** The Authentication-Results method entry (RFC 8601 §2.7.3): "iprev=pass policy.iprev=192.0.2.1 (mail.example)". */
export function iprevAuthResult(r: Iprev): string {
  const comment = r.confirmed ?? r.names[0];
  return `iprev=${r.result} policy.iprev=${r.ip}${comment ? ` (${comment})` : ""}`;
}
