// Greylisting (RFC 6647) as an ordinary handler: the first attempt of an unknown triplet
// (client network, sender, recipient) gets a temporary failure; a real MTA retries after the
// delay and passes, most spam bots never retry. State lives in libSQL (src/store/greylist.ts).
//
// Config: `trust.greylist` (false = off). Clients in `trust.trustedNetworks` are never greylisted.

import * as v from "valibot";
import type { Config } from "../src/config/schema.ts";
import type { SessionInfo } from "../src/events/catalog.ts";
import { defineHandler, type AnyHandler, type HandlerContext } from "../src/events/handler.ts";
import { verdict, type Verdict } from "../src/events/verdict.ts";
import { greylistCheck, type GreylistStatus } from "../src/store/greylist.ts";
import { dmarcPassed, senderInDomains, tripletKey } from "../src/trust/greylist-triplet.ts";
import { networkList } from "../src/trust/networks.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ms = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min));
const isNetwork = (cidr: string) => {
  try {
    return networkList([cidr]).source.length === 1;
  } catch {
    return false;
  }
};
const Network = v.pipe(v.string(), v.check(isNetwork, "not an IP network such as 192.0.2.0/24"));

export const GreylistOptions = v.pipe(
  v.strictObject({
    /**
     * Where to greylist. "rcpt" (default): at RCPT TO, per recipient, before the body is sent
     * (RFC 6647 §2.2, the common practice: cheapest). "data": after the body (RFC 6647 §2.3),
     * so senders that passed DMARC can be let through (run the message-auth handler first);
     * with several recipients the message is refused when any triplet is new.
     */
    stage: v.optional(v.picklist(["rcpt", "data"]), "rcpt"),
    /** A retry passes once this long after the first attempt. Default 5 minutes. */
    delayMs: v.optional(ms(0), 5 * MINUTE),
    /**
     * The first retry after the delay must come within this long of the first attempt, or the
     * triplet starts over. Default 24 hours: RFC 5321 §4.5.4.1 asks senders for retry intervals
     * of at least 30 minutes, and back-off schedules grow past a few hours.
     */
    retryWindowMs: v.optional(ms(1000), DAY),
    /** A passed triplet is remembered this long after its last use (each use refreshes it). Default 35 days. */
    expiryMs: v.optional(ms(1000), 35 * DAY),
    /** Client networks (CIDR) never greylisted, besides `trust.trustedNetworks`. Default none. */
    networks: v.optional(v.array(Network), []),
    /** Sender domains (and their subdomains) never greylisted. Default none. Forgeable: prefer `dmarc`. */
    senderDomains: v.optional(v.array(v.string()), []),
    /** With stage "data": skip messages whose DMARC passed (ctx.results "message-auth"). Default true. */
    dmarc: v.optional(v.boolean(), true),
    /** Prefix lengths that group client addresses into one network. Default /24 and /64. */
    ipv4Prefix: v.optional(v.pipe(v.number(), v.integer(), v.minValue(8), v.maxValue(32)), 24),
    ipv6Prefix: v.optional(v.pipe(v.number(), v.integer(), v.minValue(16), v.maxValue(128)), 64),
  }),
  v.check((o) => o.retryWindowMs > o.delayMs, "retryWindowMs must be longer than delayMs"),
);
export type GreylistOptions = v.InferOutput<typeof GreylistOptions>;

/** What the handler leaves in ctx.results under "greylist", for later handlers. */
export type GreylistResult = { readonly skipped: string } | { readonly statuses: readonly GreylistStatus[] };

export function greylist(options: unknown = {}, config: Config): AnyHandler[] {
  if (options === false) return [];
  const parsed = v.safeParse(GreylistOptions, options ?? {});
  if (!parsed.success) throw new TypeError(`greylist handler options: ${v.summarize(parsed.issues)}`);
  const o = parsed.output;
  const trusted = networkList(config.trust.trustedNetworks);
  const configured = networkList(o.networks);

  /** Why this session or sender skips greylisting, or null: known-good sources are never delayed. */
  function exempt(session: SessionInfo, sender: string): string | null {
    if (session.authUser) return "authenticated";
    if (trusted.has(session.remoteAddress)) return "trusted network";
    if (configured.has(session.remoteAddress)) return "whitelisted network";
    if (senderInDomains(sender, o.senderDomains)) return "whitelisted sender domain";
    return null;
  }

  async function decide(ctx: HandlerContext, session: SessionInfo, sender: string, recipients: readonly string[]): Promise<Verdict> {
    const keys = recipients.map((r) => tripletKey(session.remoteAddress, sender, r, o.ipv4Prefix, o.ipv6Prefix));
    const now = ctx.now();
    const statuses = await greylistCheck(ctx.db, keys, now, o);
    ctx.results.set("greylist", { statuses } satisfies GreylistResult);
    const waiting = statuses.flatMap((s) => (s.kind === "pass" ? [] : [s.retryAt]));
    if (waiting.length > 0) {
      const retryAt = Math.max(...waiting);
      const seconds = Math.max(1, Math.ceil((retryAt - now) / 1000));
      // RFC 6647 §2.2/§2.3: a 4xy reply, so a conforming MTA queues and retries (RFC 5321
      // §4.5.4.1); RFC 3463 §3.8 X.7.1: delivery not authorized (yet).
      return verdict.tempfail(451, "4.7.1", `Greylisted, please try again in ${seconds} seconds`);
    }
    const fresh = statuses.some((s) => s.kind === "pass" && s.passedAt === now);
    return verdict.continue(fresh ? "greylist: retry passed" : "greylist: known triplet");
  }

  function skip(ctx: HandlerContext, why: string): Verdict {
    ctx.results.set("greylist", { skipped: why } satisfies GreylistResult);
    return verdict.continue(`greylist: skipped (${why})`);
  }

  if (o.stage === "rcpt") {
    return [
      defineHandler({
        event: "smtp.rcpt",
        name: "greylist",
        handle({ session, from, recipient }, ctx) {
          const why = exempt(session, from);
          return why ? skip(ctx, why) : decide(ctx, session, from, [recipient.address]);
        },
      }),
    ];
  }
  return [
    defineHandler({
      event: "smtp.data",
      name: "greylist",
      handle({ session, envelope }, ctx) {
        const why = exempt(session, envelope.mailFrom) ?? (o.dmarc && dmarcPassed(ctx.results.get("message-auth")) ? "dmarc=pass" : null);
        return why ? skip(ctx, why) : decide(ctx, session, envelope.mailFrom, envelope.recipients.map((r) => r.address));
      },
    }),
  ];
}
