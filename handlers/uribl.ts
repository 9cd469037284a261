// uribl: refuses (or files into Junk) messages whose text links to a domain listed in a domain
// blocklist (RFC 5782 §2.2, e.g. dbl.spamhaus.org). Off unless zones are configured.

import { exemptReason } from "../src/trust/auth-exempt.ts";
import * as v from "valibot";
import type { Config } from "../src/config/schema.ts";
import { defineHandler, type AnyHandler } from "../src/events/handler.ts";
import { verdict } from "../src/events/verdict.ts";
import { networkList } from "../src/trust/networks.ts";
import { DnsblZone, describeZone, type ZoneResult } from "../src/trust/dnsbl-zone.ts";
import { lookupZones, totalScore } from "../src/trust/dnsbl-lookup.ts";
import { extractUriHosts } from "../src/trust/uri-extract.ts";
import { registrableDomain } from "../src/trust/uri-domain.ts";

export const UriblOptions = v.object({
  /** Listener roles checked (default ["mx"]). */
  roles: v.optional(v.array(v.string()), ["mx"]),
  /** The domain lists (default none: the handler is not installed). Queried as "<domain>.<zone>". */
  zones: v.optional(v.array(DnsblZone), []),
  /** Act when one domain's summed zone weights reach this (default 1). */
  threshold: v.optional(v.number(), 1),
  /** "reject" (default: 550 5.7.1 at end of DATA) or "quarantine" (deliver into Junk). */
  action: v.optional(v.picklist(["reject", "quarantine"]), "reject"),
  /** Encoded body bytes scanned for URLs (default 256 KiB); the rest is not read. */
  maxScanBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 256 * 1024),
  /** Distinct domains looked up per message (default 20); each costs one query per zone. */
  maxDomains: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(200)), 20),
  /** Registrable domains never looked up (default [], e.g. your own domains). */
  skipDomains: v.optional(v.array(v.string()), []),
  /** Give up on one lookup after this long (default 3000 ms); that zone is ignored, with a note. */
  lookupTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 3000),
});
export type UriblOptions = v.InferOutput<typeof UriblOptions>;

/** Left in ctx.results under "uribl": every domain looked up, with each zone's answer. */
export type UriblResult = { readonly domains: readonly { readonly domain: string; readonly score: number; readonly zones: readonly ZoneResult[] }[] };

export function uribl(options: unknown = {}, config: Config): AnyHandler[] {
  const parsed = v.safeParse(UriblOptions, options);
  if (!parsed.success) throw new TypeError(`uribl options: ${v.summarize(parsed.issues)}`);
  const opts = parsed.output;
  if (opts.zones.length === 0) return [];
  const trusted = networkList(config.trust.trustedNetworks);
  const skip = new Set(opts.skipDomains.map((d) => d.toLowerCase()));
  return [
    defineHandler({
      event: "smtp.data",
      name: "uribl",
      timeoutMs: opts.lookupTimeoutMs + 2000,
      async handle({ session, message }, ctx) {
        const skipWhy = exemptReason(session, trusted, opts.roles);
        if (skipWhy) return verdict.continue(skipWhy);
        // Hosts are gathered beyond maxDomains because several hosts share one registrable domain.
        const scan = extractUriHosts(message, { maxBytes: opts.maxScanBytes, maxHosts: opts.maxDomains * 4 });
        const domains: string[] = [];
        for (const host of scan.hosts) {
          const d = registrableDomain(host);
          if (d !== null && !skip.has(d) && !domains.includes(d)) domains.push(d);
        }
        const capped = domains.length > opts.maxDomains;
        const asked = domains.slice(0, opts.maxDomains);
        const found = await Promise.all(
          asked.map(async (domain) => {
            const zones = await lookupZones(ctx.dns, opts.zones, (zone) => `${domain}.${zone}`, { timeoutMs: opts.lookupTimeoutMs, signal: ctx.signal });
            return { domain, score: totalScore(zones), zones };
          }),
        );
        ctx.results.set("uribl", { domains: found } satisfies UriblResult);
        const limits = `${scan.truncated ? "; scan truncated" : ""}${capped ? `; ${domains.length - asked.length} domains not looked up` : ""}`;
        if (found.length === 0) return verdict.continue(`no URL domains${limits}`);
        const worst = found.reduce((a, b) => (b.score > a.score ? b : a));
        const findings = found.filter((d) => d.score > 0 || d.zones.some((z) => z.status === "error"));
        const detail = findings.map((d) => `${d.domain}: ${d.zones.map(describeZone).join(", ")}`).join("; ");
        const note = `${asked.length} domains, worst ${worst.domain} score ${worst.score}/${opts.threshold}${detail ? `; ${detail}` : ""}${limits}`;
        if (worst.score < opts.threshold) return verdict.continue(note);
        const lists = worst.zones.filter((z) => z.status === "listed").map((z) => z.zone).join(", ");
        if (opts.action === "quarantine") return verdict.quarantine(`URL domain ${worst.domain} listed at ${lists}`);
        // RFC 3463 §3.8: X.7.1 delivery not authorized, message refused.
        return verdict.reject(550, "5.7.1", `Message links to ${worst.domain}, listed at ${lists}`);
      },
    }),
  ];
}
