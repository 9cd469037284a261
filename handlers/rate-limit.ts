// Rate limits as ordinary handlers: connections, messages and recipients per client IP and
// per authenticated user, and AUTH failures per IP and (optionally) per username, over sliding
// windows kept in libSQL (src/store/rate-limits.ts) so they hold across restarts.
//
// Config: `trust.rateLimit` (false = off). Clients in `trust.trustedNetworks` skip IP limits.

import * as v from "valibot";
import type { Config } from "../src/config/schema.ts";
import type { SessionInfo } from "../src/events/catalog.ts";
import { defineHandler, type AnyHandler, type HandlerContext } from "../src/events/handler.ts";
import { verdict, type Verdict } from "../src/events/verdict.ts";
import { countHits, peekHits, type RateHit } from "../src/store/rate-limits.ts";
import { clientNetwork, networkList } from "../src/trust/networks.ts";
import type { RateLimit } from "../src/trust/rate-window.ts";

/** `{ limit, windowMs }`: at most `limit` events in any sliding `windowMs`; `false` = no limit. */
const Limit = v.union([
  v.literal(false),
  v.strictObject({
    limit: v.pipe(v.number(), v.integer(), v.minValue(1)),
    windowMs: v.pipe(v.number(), v.integer(), v.minValue(1000)),
  }),
]);

const MINUTE = 60_000;
const HOUR = 3_600_000;

export const RateLimitOptions = v.strictObject({
  /** Per client IP (IPv4 address, or IPv6 /64 — one host usually holds a whole /64). */
  ip: v.optional(
    v.strictObject({
      /** SMTP connections (at smtp.connect) → 421 4.7.0 and close. Default 60 per minute. */
      connections: v.optional(Limit, { limit: 60, windowMs: MINUTE }),
      /** Messages (at MAIL FROM, as Postfix counts them) → 451 4.7.1. Default 1000 per hour. */
      messages: v.optional(Limit, { limit: 1000, windowMs: HOUR }),
      /** Recipients (at RCPT TO) → 451 4.7.1. Default 5000 per hour. */
      recipients: v.optional(Limit, { limit: 5000, windowMs: HOUR }),
      /**
       * Failed authentications (SMTP, POP3; IMAP once it fires auth.failed). Past the limit the
       * IP is refused at SMTP connect on the submission ports (421 4.7.0) and every login from
       * it is refused, even with the right password. Default 10 per 15 minutes.
       */
      authFailures: v.optional(Limit, { limit: 10, windowMs: 15 * MINUTE }),
    }),
    {},
  ),
  /** Per authenticated user (the account address); authenticated sessions skip the IP message and recipient limits. */
  user: v.optional(
    v.strictObject({
      /** Messages submitted → 451 4.7.1. Default 500 per hour. */
      messages: v.optional(Limit, { limit: 500, windowMs: HOUR }),
      /** Recipients → 451 4.7.1. Default 2000 per hour. */
      recipients: v.optional(Limit, { limit: 2000, windowMs: HOUR }),
      /**
       * Failed authentications per username, from any IP. Past the limit even correct
       * credentials are refused for the window (SMTP 535 5.7.8, IMAP NO, POP3 -ERR). This stops
       * distributed guessing but lets anyone lock a user out by guessing on purpose (a denial
       * of service), hence default `false`. Example: `{ limit: 20, windowMs: 3_600_000 }`.
       */
      authFailures: v.optional(Limit, false),
    }),
    {},
  ),
});
export type RateLimitOptions = v.InferOutput<typeof RateLimitOptions>;

type Kind = "connections" | "messages" | "recipients" | "auth-fail";
type Rule = RateHit & RateLimit;

/** The per-IP identity: the address for IPv4, the /64 for IPv6. */
export function ipKey(ip: string): string {
  return clientNetwork(ip, 32, 64).replace(/\/32$/, "");
}

export function rateLimit(options: unknown = {}, config: Config): AnyHandler[] {
  if (options === false) return [];
  const parsed = v.safeParse(RateLimitOptions, options ?? {});
  if (!parsed.success) throw new TypeError(`rate-limit handler options: ${v.summarize(parsed.issues)}`);
  const o = parsed.output;
  const trusted = networkList(config.trust.trustedNetworks);
  // A counter key plus its limit, or null when that limit is off or does not apply.
  const ipRule = (session: SessionInfo, kind: Kind, rule: RateLimit | false): Rule | null =>
    rule && !trusted.has(session.remoteAddress) ? { key: `${kind}:ip:${ipKey(session.remoteAddress)}`, ...rule } : null;
  const userRule = (user: string | null, kind: Kind, rule: RateLimit | false): Rule | null =>
    rule && user ? { key: `${kind}:user:${user.toLowerCase()}`, ...rule } : null;
  // Authenticated senders are counted per user only: many users may share one NAT address.
  const mailRules = (session: SessionInfo, kind: "messages" | "recipients") =>
    session.authUser ? [userRule(session.authUser, kind, o.user[kind])] : [ipRule(session, kind, o.ip[kind])];

  /** Counts the hits; the first one past its limit names the verdict, else continue with a note. */
  async function count(ctx: HandlerContext, rules: (Rule | null)[], over: (r: Rule) => Verdict): Promise<Verdict> {
    const active = rules.filter((r) => r !== null);
    if (active.length === 0) return verdict.continue();
    const counts = await countHits(ctx.db, active, ctx.now());
    const i = counts.findIndex((c, j) => c > active[j]!.limit);
    if (i >= 0) return over(active[i]!);
    return verdict.continue(notes(active, counts));
  }

  /** The counter that locks out this IP or username after recent AUTH failures (logged), or null. */
  async function lockedOut(ctx: HandlerContext, session: SessionInfo, username: string | null): Promise<string | null> {
    const rules = [ipRule(session, "auth-fail", o.ip.authFailures), userRule(username, "auth-fail", o.user.authFailures)].filter((r) => r !== null);
    if (rules.length === 0) return null;
    const counts = await peekHits(ctx.db, rules, ctx.now());
    const i = counts.findIndex((c, j) => c >= rules[j]!.limit);
    if (i < 0) return null;
    ctx.log.info("refused: too many authentication failures", { key: rules[i]!.key });
    return rules[i]!.key;
  }

  // RFC 5321 §3.8/§4.2.2: 421 closes the channel; RFC 3463 §3.8: X.7.0 other security status.
  const tooMany = (what: string) => verdict.disconnect(421, "4.7.0", `Too many ${what} from your address, try again later`);
  // RFC 3463 §3.8: X.7.1 delivery not authorized; 451 (RFC 5321 §4.2.2) so the sender retries.
  const slowDown = (r: RateHit) => verdict.tempfail(451, "4.7.1", `Rate limit exceeded (${r.key.split(":")[0]}), try again later`);
  // The same text as wrong credentials (RFC 4954 §6: 535 5.7.8; IMAP and POP3 use the text),
  // so a guesser cannot tell that a refused password was right.
  const authRefused = () => verdict.reject(535, "5.7.8", "Authentication credentials invalid");

  const handlers: AnyHandler[] = [];
  handlers.push(
    defineHandler({
      event: "smtp.connect",
      name: "rate-limit-connect",
      async handle({ session }, ctx) {
        const submission = session.role === "submission" || session.role === "submissions";
        if (submission && (await lockedOut(ctx, session, null))) return tooMany("authentication failures");
        return count(ctx, [ipRule(session, "connections", o.ip.connections)], () => tooMany("connections"));
      },
    }),
    defineHandler({
      event: "smtp.mail",
      name: "rate-limit-mail",
      handle: ({ session }, ctx) =>
        count(ctx, mailRules(session, "messages"), slowDown),
    }),
    defineHandler({
      event: "smtp.rcpt",
      name: "rate-limit-rcpt",
      handle: ({ session }, ctx) =>
        count(ctx, mailRules(session, "recipients"), slowDown),
    }),
  );
  if (o.ip.authFailures || o.user.authFailures) {
    handlers.push(
      defineHandler({
        event: "auth.failed",
        name: "rate-limit-auth-failed",
        async handle({ session, username }, ctx) {
          const rules = [ipRule(session, "auth-fail", o.ip.authFailures), userRule(username || null, "auth-fail", o.user.authFailures)].filter((r) => r !== null);
          if (rules.length > 0) await countHits(ctx.db, rules, ctx.now());
        },
      }),
      // smtp.auth and the login policies run only after the password was verified: this is
      // where a locked-out IP or username is refused even with correct credentials.
      defineHandler({
        event: "smtp.auth",
        name: "rate-limit-auth",
        handle: async ({ session, username }, ctx) => ((await lockedOut(ctx, session, username)) ? authRefused() : verdict.continue()),
      }),
      defineHandler({
        event: "imap.login",
        name: "rate-limit-imap-login",
        handle: async ({ session, username }, ctx) =>
          (await lockedOut(ctx, session, username)) ? authRefused() : verdict.continue(),
      }),
      defineHandler({
        event: "pop3.login",
        name: "rate-limit-pop3-login",
        handle: async ({ session, username }, ctx) =>
          (await lockedOut(ctx, session, username)) ? authRefused() : verdict.continue(),
      }),
    );
  }
  return handlers;
}

/** Trace note: each counter's estimate against its limit, e.g. "messages:ip 3/1000". */
function notes(rules: readonly Rule[], counts: readonly number[]): string {
  return rules.map((r, i) => `${r.key.split(":").slice(0, 2).join(":")} ${Math.ceil(counts[i]!)}/${r.limit}`).join(", ");
}
