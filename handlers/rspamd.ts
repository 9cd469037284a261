// rspamd at end of DATA (https://rspamd.com/doc/architecture/protocol.html, POST /checkv2):
// the message and its envelope go to rspamd, whose action decides — reject (550 5.7.1),
// soft reject / greylist (451 4.7.1), add header / rewrite subject (Junk, or INBOX with
// X-Spam-* fields), no action (deliver). Off unless `trust.rspamd.url` is configured:
//
//   trust: { rspamd: { url: "http://127.0.0.1:11333", actions: { "add header": "tag" } } }

import * as v from "valibot";
import type { Config } from "../src/config/schema.ts";
import { defineHandler, type AnyHandler } from "../src/events/handler.ts";
import { rspamdCheck } from "../src/trust/rspamd-client.ts";
import { networkList } from "../src/trust/networks.ts";
import { ActionMap, describeError, forgedSpamFields, scannerFailure, SpamHeadersMode, spamVerdict, withReplyText } from "../src/trust/spam-action.ts";
import { verdict } from "../src/events/verdict.ts";

const int = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min));

export const RspamdOptions = v.object({
  /** rspamd's normal worker or proxy, e.g. "http://127.0.0.1:11333" (required; no default). */
  url: v.pipe(v.string(), v.url()),
  /** rspamd action → what we do (pass | tag | junk | tempfail | reject | discard); see spam-action.ts. */
  actions: v.optional(ActionMap, {}),
  /** X-Spam-Flag/-Score/-Status/-Symbols: "always", "flagged" (default) or "never". */
  headers: SpamHeadersMode,
  /** Remove incoming X-Spam-* fields (only we may set them). Default true. */
  removeForged: v.optional(v.boolean(), true),
  /** Apply the add/remove header block of rspamd's milter_headers module. Default true. */
  milterHeaders: v.optional(v.boolean(), true),
  /** Largest message sent to rspamd, in bytes. Default 2 MiB. */
  maxBytes: v.optional(int(1024), 2 * 1024 * 1024),
  /** A larger message is "skip"ped (delivered unscanned, noted in the trace; default) or "truncate"d to maxBytes. */
  oversize: v.optional(v.picklist(["skip", "truncate"]), "skip"),
  /** Our own deadline for one scan, in ms. Default 10000 (the handler's is 2 s longer). */
  timeoutMs: v.optional(int(50), 10_000),
  /** rspamd unreachable, slow or answering nonsense: "tempfail" (451 4.3.0, default) or "accept" unscanned. */
  onError: v.optional(v.picklist(["tempfail", "accept"]), "tempfail"),
  /** Also scan clients in `trust.trustedNetworks`. Default false. */
  scanTrusted: v.optional(v.boolean(), false),
});
export type RspamdOptions = v.InferOutput<typeof RspamdOptions>;

export function rspamd(options: unknown = {}, config: Config): AnyHandler[] {
  const parsed = v.safeParse(RspamdOptions, options);
  if (!parsed.success) throw new Error(`rspamd handler: invalid options: ${v.summarize(parsed.issues)}`);
  const o = parsed.output;
  const trusted = networkList(config.trust.trustedNetworks);
  const policy = { actions: o.actions, headers: o.headers, removeForged: o.removeForged };
  const keepForged = o.removeForged ? { remove: forgedSpamFields() } : undefined;

  return [
    defineHandler({
      event: "smtp.data",
      name: "rspamd",
      timeoutMs: o.timeoutMs + 2000,
      async handle({ session, envelope, message }, ctx) {
        if (!o.scanTrusted && trusted.has(session.remoteAddress)) return verdict.continue("rspamd: skipped, trusted network");
        let body = message;
        if (message.length > o.maxBytes) {
          if (o.oversize === "skip") return verdict.continue(`rspamd: skipped, ${message.length} bytes > maxBytes ${o.maxBytes}`, keepForged);
          body = message.subarray(0, o.maxBytes);
        }
        const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(o.timeoutMs)]);
        let result;
        try {
          result = await rspamdCheck(o.url, body, {
            ip: session.remoteAddress,
            helo: session.helo,
            from: envelope.mailFrom,
            rcpts: envelope.recipients.map((r) => r.address),
            user: session.authUser,
            queueId: envelope.transactionId,
            mtaName: ctx.config.hostname,
            tls: session.tls,
          }, signal);
        } catch (err) {
          ctx.log.warn("rspamd scan failed", { error: describeError(err), transaction: envelope.transactionId });
          return scannerFailure("rspamd", o.onError, describeError(err), o.removeForged);
        }
        ctx.results.set("rspamd", result);
        ctx.log.info("rspamd", { transaction: envelope.transactionId, action: result.action, score: result.score, symbols: result.symbols.join(",") });
        const decided = spamVerdict(o.milterHeaders ? result : { ...result, edits: undefined }, policy);
        // rspamd may carry its own SMTP text (e.g. "Gtube pattern", a ratelimit message).
        return result.smtpMessage ? withReplyText(decided, result.smtpMessage) : decided;
      },
    }),
  ];
}
