// Forward lookup of a HELO name (A and AAAA together) for helo-check's "resolve" and
// "matchClient" checks: addresses found, or "unknown" when DNS could not say.

import type { DnsResolver } from "../dns/resolver.ts";
import { dnsErrorCode, withinDeadline } from "./dnsbl-deadline.ts";

export type HeloAddresses = { readonly kind: "known"; readonly addresses: readonly string[] } | { readonly kind: "unknown"; readonly error: string };

export async function resolveHelo(dns: DnsResolver, name: string, opts: { timeoutMs: number; signal: AbortSignal }): Promise<HeloAddresses> {
  const one = async (type: "A" | "AAAA") => {
    try {
      return { addresses: await withinDeadline(type === "A" ? dns.a(name) : dns.aaaa(name), opts.timeoutMs, opts.signal, name, type) };
    } catch (e) {
      const code = dnsErrorCode(e);
      // NXDOMAIN / NODATA are answers: the name has no address of this type.
      return code === "NXDOMAIN" || code === "NODATA" ? { addresses: [] } : { error: code };
    }
  };
  const [a, aaaa] = await Promise.all([one("A"), one("AAAA")]);
  const addresses = [...(a.addresses ?? []), ...(aaaa.addresses ?? [])];
  // One family answering is enough to confirm; only "nothing found and something failed" is unknown.
  if (addresses.length === 0 && (a.error || aaaa.error)) return { kind: "unknown", error: a.error ?? aaaa.error! };
  return { kind: "known", addresses };
}
