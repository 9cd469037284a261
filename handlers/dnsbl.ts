// dnsbl: refuses clients whose IP address is listed in DNS blocklists (RFC 5782), e.g.
// zen.spamhaus.org. Each zone adds its weight; at or above `threshold` the client is refused,
// below it the listings are only noted in the trace. A model for a policy handler that asks DNS.

import { exemptReason } from "../src/trust/auth-exempt.ts";
import * as v from "valibot";
import type { Config } from "../src/config/schema.ts";
import { defineHandler, type AnyHandler, type HandlerContext } from "../src/events/handler.ts";
import type { SessionInfo } from "../src/events/catalog.ts";
import { verdict, type Verdict } from "../src/events/verdict.ts";
import { networkList } from "../src/trust/networks.ts";
import { dnsblName } from "../src/trust/dnsbl-name.ts";
import { DnsblZone, describeZone, type ZoneResult } from "../src/trust/dnsbl-zone.ts";
import { lookupZones, totalScore } from "../src/trust/dnsbl-lookup.ts";
import { unmapIp } from "../src/trust/iprev-ip.ts";

export const DnsblOptions = v.object({
  /**
   * When to ask (default "rcpt"): "connect" refuses the greeting (554, cheapest); "mail" refuses
   * MAIL FROM; "rcpt" refuses each RCPT but lets `exemptRecipients` through (RFC 5321 §4.5.1:
   * postmaster should reach us from anywhere, so a listed operator can ask why) and the trace
   * keeps sender and recipient.
   */
  at: v.optional(v.picklist(["connect", "mail", "rcpt"]), "rcpt"),
  /** Listener roles checked (default ["mx"]): submission clients authenticate instead. */
  roles: v.optional(v.array(v.string()), ["mx"]),
  /** The lists (default none: the handler is not installed). */
  zones: v.optional(v.array(DnsblZone), []),
  /** Refuse when the summed weights reach this (default 1: any listing with weight 1). */
  threshold: v.optional(v.number(), 1),
  /** Local parts that are never refused at RCPT (default ["postmaster", "abuse"], RFC 2142). */
  exemptRecipients: v.optional(v.array(v.string()), ["postmaster", "abuse"]),
  /** Give up on one zone after this long (default 3000 ms); that zone is ignored, with a note. */
  lookupTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 3000),
});
export type DnsblOptions = v.InferOutput<typeof DnsblOptions>;

/** What the handler leaves in ctx.results under "dnsbl" (and reuses for later RCPTs). */
export type DnsblResult = { readonly ip: string; readonly score: number; readonly zones: readonly ZoneResult[] };

export function dnsbl(options: unknown = {}, config: Config): AnyHandler[] {
  const parsed = v.safeParse(DnsblOptions, options);
  if (!parsed.success) throw new TypeError(`dnsbl options: ${v.summarize(parsed.issues)}`);
  const opts = parsed.output;
  if (opts.zones.length === 0) return [];
  const trusted = networkList(config.trust.trustedNetworks);
  const exempt = new Set(opts.exemptRecipients.map((l) => l.toLowerCase()));
  const name = "dnsbl";

  async function check(session: SessionInfo, ctx: HandlerContext): Promise<Verdict> {
    const skipWhy = exemptReason(session, trusted, opts.roles);
    if (skipWhy) return verdict.continue(skipWhy);
    const ip = unmapIp(session.remoteAddress);
    // Ask once per transaction: later RCPTs reuse the first answer.
    let result = ctx.results.get(name) as DnsblResult | undefined;
    if (result?.ip !== ip) {
      const zones = await lookupZones(ctx.dns, opts.zones, (zone) => dnsblName(ip, zone), { timeoutMs: opts.lookupTimeoutMs, signal: ctx.signal });
      result = { ip, score: totalScore(zones), zones };
      ctx.results.set(name, result);
    }
    const note = `score ${result.score}/${opts.threshold}: ${result.zones.map(describeZone).join("; ")}`;
    if (result.score < opts.threshold) return verdict.continue(note);
    const where = result.zones
      .filter((z) => z.status === "listed")
      .map((z) => `${z.zone} (${z.listings.map((l) => l.label).join(", ")})`)
      .join(", ");
    ctx.log.info("client refused by DNSBL", { ip, note });
    // RFC 3463 §3.8: X.7.1 delivery not authorized, message refused (at connect → 554 greeting).
    return verdict.reject(550, "5.7.1", `Client host [${ip}] listed at ${where}`);
  }

  switch (opts.at) {
    case "connect":
      return [defineHandler({ event: "smtp.connect", name, timeoutMs: opts.lookupTimeoutMs + 1000, handle: ({ session }, ctx) => check(session, ctx) })];
    case "mail":
      return [defineHandler({ event: "smtp.mail", name, timeoutMs: opts.lookupTimeoutMs + 1000, handle: ({ session }, ctx) => check(session, ctx) })];
    case "rcpt":
      return [
        defineHandler({
          event: "smtp.rcpt",
          name,
          timeoutMs: opts.lookupTimeoutMs + 1000,
          handle({ session, recipient }, ctx) {
            const local = recipient.address.slice(0, recipient.address.lastIndexOf("@")).toLowerCase();
            if (exempt.has(local)) return verdict.continue(`${local}@ is exempt`);
            return check(session, ctx);
          },
        }),
      ];
  }
}
