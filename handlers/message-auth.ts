// DKIM (RFC 6376, RSA and Ed25519 keys), ARC (RFC 8617) and DMARC (RFC 7489) at end of DATA,
// in one mailauth authenticate() call. The SPF result of the `spf` handler is reused: its DNS
// answers are replayed, so authenticate()'s own SPF pass costs no queries and agrees with it.

import * as v from "valibot";
import { authenticate } from "mailauth";
import { defineHandler, type AnyHandler } from "../src/events/handler.ts";
import { verdict } from "../src/events/verdict.ts";
import type { Config } from "../src/config/schema.ts";
import { networkList } from "../src/trust/networks.ts";
import { exemptReason, heloIdentity } from "../src/trust/auth-exempt.ts";
import { replayingResolver } from "../src/trust/auth-dns-replay.ts";
import { MESSAGE_AUTH_KEY, spfFinding, type MessageAuthFinding } from "../src/trust/auth-findings.ts";
import { summarize, traceNote } from "../src/trust/mailauth-summary.ts";

export const MessageAuthOptions = v.object({
  /** Verify ARC chains (RFC 8617 §5.2); default true. */
  arc: v.optional(v.boolean(), true),
  /** Evaluate DMARC (RFC 7489 §6.6); default true. The dmarc-policy handler acts on it. */
  dmarc: v.optional(v.boolean(), true),
  /** Shorter RSA keys make dkim=policy (RFC 8301 §3.2 requires ≥ 1024); default 1024. */
  minBitLength: v.optional(v.pipe(v.number(), v.integer(), v.minValue(512)), 1024),
  /** rsa-sha1 signatures count as dkim=policy (RFC 8301 §3.1); default true. */
  rejectRsaSha1: v.optional(v.boolean(), true),
  /**
   * DMARC could not be evaluated because of a DNS failure: default "tempfail" → 451 4.4.3
   * (the sender retries; never accept or reject on missing data), or "continue".
   */
  onTemperror: v.optional(v.picklist(["tempfail", "continue"]), "tempfail"),
  /** Deadline of the whole check in ms; default 15000 (past it: 451 4.3.0). */
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100)), 15000),
});
export type MessageAuthOptions = v.InferOutput<typeof MessageAuthOptions>;

export function messageAuth(options: unknown = {}, config: Config): AnyHandler[] {
  const parsed = v.safeParse(MessageAuthOptions, options);
  if (!parsed.success) throw new Error(`handler message-auth: invalid options: ${v.summarize(parsed.issues)}`);
  const o = parsed.output;
  const trusted = networkList(config.trust.trustedNetworks);
  const mta = config.trust.authservId ?? config.hostname;

  return [
    defineHandler({
      event: "smtp.data",
      name: MESSAGE_AUTH_KEY,
      timeoutMs: o.timeoutMs,
      async handle({ session, envelope, message }, ctx) {
        const skip = exemptReason(session, trusted);
        if (skip) return verdict.continue(skip);
        const spf = spfFinding(ctx.results);
        const resolver = spf ? replayingResolver(spf.dnsLog, ctx.dns.resolve) : ctx.dns.resolve;
        const raw = await authenticate(Buffer.from(message.buffer, message.byteOffset, message.byteLength), {
          ip: session.remoteAddress,
          helo: heloIdentity(session),
          sender: envelope.mailFrom,
          mta,
          resolver,
          ...(spf?.limits ?? {}),
          minBitLength: o.minBitLength,
          rejectRsaSha1: o.rejectRsaSha1,
          disableArc: !o.arc,
          disableDmarc: !o.dmarc,
          disableBimi: true,
        });
        const summary = summarize(raw, { includeSpf: !spf });
        const finding: MessageAuthFinding = { ...summary, raw };
        ctx.results.set(MESSAGE_AUTH_KEY, finding);
        const note = traceNote(summary, spf ? null : raw.spf ? `spf=${raw.spf.status.result}` : null);
        if (summary.dmarc?.result === "temperror" && o.onTemperror === "tempfail") {
          return verdict.tempfail(451, "4.4.3", `Temporary DNS failure checking DMARC of ${summary.dmarc.domain}, try again later`);
        }
        return verdict.continue(note);
      },
    }),
  ];
}
