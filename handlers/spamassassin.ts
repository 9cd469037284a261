// SpamAssassin at end of DATA through spamd (SPAMC/1.5 SYMBOLS, src/trust/spamd-client.ts),
// as `spamc` would ask it: score ≥ rejectScore → 550 5.7.1; spam by SpamAssassin's own
// required_score → Junk (or INBOX with X-Spam-* fields); otherwise deliver. Off unless
// `trust.spamassassin` names a host or a unix socket:
//
//   trust: { spamassassin: { host: "127.0.0.1", port: 783, rejectScore: 12 } }

import * as v from "valibot";
import type { Config } from "../src/config/schema.ts";
import { defineHandler, type AnyHandler } from "../src/events/handler.ts";
import { verdict } from "../src/events/verdict.ts";
import { networkList } from "../src/trust/networks.ts";
import { ActionMap, describeError, forgedSpamFields, scannerFailure, SpamHeadersMode, spamVerdict } from "../src/trust/spam-action.ts";
import { spamdCheck, type SpamdTarget } from "../src/trust/spamd-client.ts";

const int = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min));

export const SpamassassinOptions = v.pipe(
  v.object({
    /** spamd's TCP host (no default: give `host` or `socket`). */
    host: v.optional(v.string()),
    /** spamd's TCP port. Default 783. */
    port: v.optional(v.pipe(int(1), v.maxValue(65535)), 783),
    /** spamd's unix socket path (spamd --socketpath); wins over host/port. */
    socket: v.optional(v.string()),
    /** The `User:` spamd loads per-user preferences for. Default: none (spamd's own user). */
    user: v.optional(v.string()),
    /** At or above this score: the "reject" action (550 5.7.1). Default 15; null never rejects. */
    rejectScore: v.optional(v.nullable(v.number()), 15),
    /** action → what we do; spamd yields "no action", "add header" (spam) and "reject" (≥ rejectScore). */
    actions: v.optional(ActionMap, {}),
    /** X-Spam-Flag/-Score/-Status/-Symbols: "always", "flagged" (default) or "never". */
    headers: SpamHeadersMode,
    /** Remove incoming X-Spam-* fields. Default true. */
    removeForged: v.optional(v.boolean(), true),
    /** Largest message sent to spamd in bytes. Default 512000 (spamc's default 500 KiB). */
    maxBytes: v.optional(int(1024), 512_000),
    /** Larger messages are "skip"ped (default, noted in the trace) or "truncate"d to maxBytes. */
    oversize: v.optional(v.picklist(["skip", "truncate"]), "skip"),
    /** Our own deadline for one scan in ms. Default 30000 (the handler's is 2 s longer). */
    timeoutMs: v.optional(int(50), 30_000),
    /** spamd unreachable, slow or failing: "tempfail" (451 4.3.0, default) or "accept" unscanned. */
    onError: v.optional(v.picklist(["tempfail", "accept"]), "tempfail"),
    /** Also scan clients in `trust.trustedNetworks`. Default false. */
    scanTrusted: v.optional(v.boolean(), false),
  }),
  v.check((o) => o.host !== undefined || o.socket !== undefined, "give spamd's `host` (and `port`) or `socket`"),
);
export type SpamassassinOptions = v.InferOutput<typeof SpamassassinOptions>;

export function spamassassin(options: unknown = {}, config: Config): AnyHandler[] {
  const parsed = v.safeParse(SpamassassinOptions, options);
  if (!parsed.success) throw new Error(`spamassassin handler: invalid options: ${v.summarize(parsed.issues)}`);
  const o = parsed.output;
  const target: SpamdTarget = o.socket !== undefined ? { socket: o.socket } : { host: o.host!, port: o.port };
  const trusted = networkList(config.trust.trustedNetworks);
  const policy = { actions: o.actions, headers: o.headers, removeForged: o.removeForged };

  return [
    defineHandler({
      event: "smtp.data",
      name: "spamassassin",
      timeoutMs: o.timeoutMs + 2000,
      async handle({ session, envelope, message }, ctx) {
        if (!o.scanTrusted && trusted.has(session.remoteAddress)) return verdict.continue("spamassassin: skipped, trusted network");
        let body = message;
        if (message.length > o.maxBytes) {
          if (o.oversize === "skip") {
            return verdict.continue(`spamassassin: skipped, ${message.length} bytes > maxBytes ${o.maxBytes}`, o.removeForged ? { remove: forgedSpamFields() } : undefined);
          }
          body = message.subarray(0, o.maxBytes);
        }
        const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(o.timeoutMs)]);
        let result;
        try {
          result = await spamdCheck(target, body, signal, { ...(o.user ? { user: o.user } : {}), rejectScore: o.rejectScore });
        } catch (err) {
          ctx.log.warn("spamassassin scan failed", { error: describeError(err), transaction: envelope.transactionId });
          return scannerFailure("spamassassin", o.onError, describeError(err), o.removeForged);
        }
        ctx.results.set("spamassassin", result);
        ctx.log.info("spamassassin", { transaction: envelope.transactionId, action: result.action, score: result.score, symbols: result.symbols.join(",") });
        return spamVerdict(result, policy);
      },
    }),
  ];
}
