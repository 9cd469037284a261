// Asks every configured DNSxL zone at once (RFC 5782 §2.1 IP lists, §2.2 domain lists) and
// sorts the answers. A zone that cannot answer is ignored with a note, never counted.

import type { DnsResolver } from "../dns/resolver.ts";
import { dnsErrorCode, withinDeadline } from "./dnsbl-deadline.ts";
import { readAnswers, type DnsblZone, type ZoneResult } from "./dnsbl-zone.ts";

export type LookupOptions = { readonly timeoutMs: number; readonly signal: AbortSignal };

/**
 * Looks up `key` (reversed IP or a domain) in each zone, in parallel. NXDOMAIN and NODATA mean
 * "not listed" (RFC 5782 §2.1). SERVFAIL, REFUSED, timeouts and operator error codes make
 * the zone `error`: a list that is down gives no evidence, and treating it as a listing
 * would stop all mail whenever a list operator has an outage or shuts a list down.
 */
export async function lookupZones(
  dns: DnsResolver,
  zones: readonly DnsblZone[],
  queryName: (zone: string) => string,
  opts: LookupOptions,
): Promise<ZoneResult[]> {
  return Promise.all(
    zones.map(async (zone): Promise<ZoneResult> => {
      const query = queryName(zone.zone);
      try {
        const answers = await withinDeadline(dns.a(query), opts.timeoutMs, opts.signal, query, "A");
        return readAnswers(zone, query, answers);
      } catch (e) {
        const code = dnsErrorCode(e);
        if (code === "NXDOMAIN" || code === "NODATA") return readAnswers(zone, query, []);
        return { zone: zone.zone, query, status: "error", listings: [], ignored: [], error: code, score: 0 };
      }
    }),
  );
}

/** Sum of the zones' scores (each zone counts once, with its highest listing weight). */
export function totalScore(results: readonly ZoneResult[]): number {
  return results.reduce((s, r) => s + r.score, 0);
}
