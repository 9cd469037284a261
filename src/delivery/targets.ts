// Where one batch goes: the route (relay or MX) turned into an ordered list of hosts with
// their addresses, and the TLS each connection must have (RFC 7435 opportunistic by default,
// RFC 8461 MTA-STS enforce and RFC 8689 REQUIRETLS verified).

import { isIP } from "node:net";
import type { Route } from "../events/catalog.ts";
import type { DnsResolver } from "../dns/resolver.ts";
import type { TlsPolicy } from "./smtp-client.ts";

export type TargetHost = { host: string; addresses: string[]; port: number; tls: TlsPolicy; auth?: { user: string; pass: string } };

/** A batch-wide decision reached before any connection (null MX, unknown domain, DNS failure …). */
export type Verdict = { outcome: "failed" | "deferred"; status: string; reply: string };

export type Targets = { kind: "hosts"; hosts: TargetHost[]; requireTlsExtension: boolean } | { kind: "verdict"; verdict: Verdict };

/** The contract of src/delivery/mx.ts resolveMx. */
export type MxResult =
  | { kind: "hosts"; hosts: { host: string; preference: number; addresses: string[] }[]; implicit: boolean }
  | { kind: "nullmx" }
  | { kind: "nodomain" }
  | { kind: "temperror"; reason: string };

export type TlsNeeds = {
  requireTls: boolean;
  verifyCert: boolean;
  allowedMx?: (host: string) => boolean;
};

/** A relay's A/AAAA addresses (an IP literal stands for itself). */
export async function hostAddresses(host: string, resolver: DnsResolver): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, "");
  if (isIP(bare)) return [bare];
  const [a, aaaa] = await Promise.all([resolver.a(host).catch(() => [] as string[]), resolver.aaaa(host).catch(() => [] as string[])]);
  return [...a, ...aaaa];
}

export async function relayTargets(route: Extract<Route, { kind: "relay" }>, resolver: DnsResolver): Promise<Targets> {
  const addresses = await hostAddresses(route.host, resolver);
  if (addresses.length === 0) {
    return { kind: "verdict", verdict: { outcome: "deferred", status: "4.4.3", reply: `relay host ${route.host} has no address` } };
  }
  // A smarthost is configured by name: its certificate is checked (RFC 8314 §4.4 for submission).
  const tls: TlsPolicy = route.tls === "implicit" ? { mode: "implicit", verify: true } : { mode: "required", verify: true };
  return { kind: "hosts", requireTlsExtension: false, hosts: [{ host: route.host, addresses, port: route.port, tls, ...(route.auth ? { auth: { ...route.auth } } : {}) }] };
}

/**
 * MX hosts in preference order (resolveMx already ordered and resolved them), filtered and
 * secured per the TLS needs. RFC 7505 §4.2 null MX → 556 5.1.10; no such domain → 5.1.2
 * (RFC 3463 "bad destination system address"); a DNS failure is temporary (4.4.3).
 */
export function mxTargets(mx: MxResult | { kind: "loops" }, domain: string, port: number, needs: TlsNeeds, requiretls: boolean, self?: string): Targets {
  if (self !== undefined) mx = withoutSelf(mx, self);
  switch (mx.kind) {
    case "loops":
      // RFC 5321 §5.1: we are the best MX ourselves, so there is nobody to hand it to.
      return { kind: "verdict", verdict: { outcome: "failed", status: "5.4.6", reply: `554 5.4.6 mail for ${domain} loops back to myself` } };
    case "nullmx":
      return { kind: "verdict", verdict: { outcome: "failed", status: "5.1.10", reply: `556 5.1.10 Recipient address has null MX (${domain})` } };
    case "nodomain":
      return { kind: "verdict", verdict: { outcome: "failed", status: "5.1.2", reply: `550 5.1.2 Domain ${domain} does not exist` } };
    case "temperror":
      return { kind: "verdict", verdict: { outcome: "deferred", status: "4.4.3", reply: `451 4.4.3 DNS lookup for ${domain} failed: ${mx.reason}` } };
    case "hosts":
      break;
  }
  // RFC 8689 §4.2.1: with REQUIRETLS the MX must be authenticated (DNSSEC or MTA-STS); we do
  // not validate DNSSEC, so without a policy that vouches for the MX the message cannot go.
  if (requiretls && !needs.allowedMx) {
    return { kind: "verdict", verdict: { outcome: "failed", status: "5.7.30", reply: `550 5.7.30 REQUIRETLS: no MTA-STS policy authenticates the MX of ${domain}` } };
  }
  const tls: TlsPolicy = needs.requireTls ? { mode: "required", verify: needs.verifyCert } : { mode: "opportunistic" };
  // RFC 8461 §4.1: hosts not matching the policy are not used at all.
  const usable = mx.hosts.filter((h) => !needs.allowedMx || needs.allowedMx(h.host));
  if (usable.length === 0) {
    return { kind: "verdict", verdict: { outcome: "deferred", status: "4.7.5", reply: `451 4.7.5 No MX host of ${domain} matches its MTA-STS policy` } };
  }
  const hosts = usable.filter((h) => h.addresses.length > 0).map((h) => ({ host: h.host, addresses: h.addresses, port, tls }));
  if (hosts.length === 0) {
    return { kind: "verdict", verdict: { outcome: "deferred", status: "4.4.3", reply: `451 4.4.3 No address for the MX hosts of ${domain}` } };
  }
  return { kind: "hosts", hosts, requireTlsExtension: requiretls };
}

/**
 * RFC 5321 §5.1: "if the SMTP client finds its own name among the MX hosts, it MUST discard
 * that host and every host of equal or higher preference value" (a backup MX would otherwise
 * relay to itself or to a worse backup). With nothing left the mail loops: "loops".
 * An implicit MX (the domain's own A record) naming us loops too.
 */
export function withoutSelf(mx: MxResult | { kind: "loops" }, self: string): MxResult | { kind: "loops" } {
  if (mx.kind !== "hosts") return mx;
  const me = self.replace(/\.$/, "").toLowerCase();
  const mine = mx.hosts.filter((h) => h.host.replace(/\.$/, "").toLowerCase() === me);
  if (mine.length === 0) return mx;
  const cut = Math.min(...mine.map((h) => h.preference));
  const hosts = mx.hosts.filter((h) => h.preference < cut);
  return hosts.length > 0 ? { ...mx, hosts } : { kind: "loops" };
}

/** An address literal domain ("[192.0.2.1]", "[IPv6:2001:db8::1]", RFC 5321 §4.1.3) as one host. */
export function literalTarget(domain: string, port: number): TargetHost | null {
  const m = /^\[(?:ipv6:)?([^\]]+)\]$/i.exec(domain);
  if (!m || !isIP(m[1])) return null;
  return { host: m[1], addresses: [m[1]], port, tls: { mode: "opportunistic" } };
}
