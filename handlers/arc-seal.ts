// ARC sealing (RFC 8617) of mail we forward: when an alias sends a message on to an address
// outside our domains, we add an ARC set (i=N+1) vouching for what we saw on arrival, so the
// next hop can trust our authentication results after forwarding breaks SPF (and maybe DKIM).
// Optional: `trust.arcSeal: { domain: "example.com", selector?: "arc" }` switches it on.
//
// Runs after message-auth and auth-results: its ARC-Authentication-Results is our
// Authentication-Results value (RFC 8617 §4.1.1) and its cv= is message-auth's ARC result.
// Signs with the domain's active DKIM key (RSA preferred, see src/trust/arc-seal-select.ts).
// Header edits apply to the one stored message, so local copies of the same transaction carry
// the ARC set too; that is harmless (a later validator just sees one more valid set).

import * as v from "valibot";
import { defineHandler, type AnyHandler } from "../src/events/handler.ts";
import { verdict } from "../src/events/verdict.ts";
import type { Config } from "../src/config/schema.ts";
import { activeDkimKeys } from "../src/store/dkim.ts";
import { collectAuthResults, messageAuthFinding } from "../src/trust/auth-findings.ts";
import { authResultsValue } from "../src/trust/auth-results-header.ts";
import { sealArcSet } from "../src/trust/arc-seal.ts";
import { chainStatus } from "../src/trust/arc-seal-chain.ts";
import { forwardedAddresses, pickSealKey } from "../src/trust/arc-seal-select.ts";

export const ArcSealOptions = v.object({
  /** The sealing domain (d=); its active key in `dkim_keys` signs, its DNS publishes the key. */
  domain: v.pipe(v.string(), v.minLength(1), v.toLowerCase()),
  /** A selector among the domain's active keys; default: the first RSA key, else the first key. */
  selector: v.optional(v.pipe(v.string(), v.minLength(1))),
});
export type ArcSealOptions = v.InferOutput<typeof ArcSealOptions>;

export function arcSeal(options: unknown = {}, config: Config): AnyHandler[] {
  const parsed = v.safeParse(ArcSealOptions, options);
  if (!parsed.success) throw new Error(`handler arc-seal: invalid options: ${v.summarize(parsed.issues)}`);
  const o = parsed.output;
  const authservId = config.trust.authservId ?? config.hostname;

  return [
    defineHandler({
      event: "smtp.data",
      name: "arc-seal",
      async handle({ envelope, message }, ctx) {
        // Forwarding from any client is what ARC is for (RFC 8617 §1), so trusted and
        // authenticated sessions are sealed too; only mail that stays here is not.
        const forwarded = forwardedAddresses(envelope.recipients);
        if (forwarded.length === 0) return verdict.continue("nothing forwarded off-site: not sealed");
        const key = pickSealKey(await activeDkimKeys(ctx.db, o.domain), o.selector);
        if (!key) {
          ctx.log.warn("arc-seal: no active DKIM key", { domain: o.domain, selector: o.selector ?? null });
          return verdict.continue(`no active DKIM key for ${o.domain}${o.selector ? ` s=${o.selector}` : ""}: not sealed`);
        }
        const chain = await chainStatus(message, messageAuthFinding(ctx.results), ctx.dns.resolve);
        const resinfos = collectAuthResults(ctx.results);
        if (chain.resinfo) resinfos.push(chain.resinfo);
        const sealed = await sealArcSet(message, {
          key,
          cv: chain.cv,
          authResults: authResultsValue(authservId, resinfos),
          signTime: new Date(ctx.now()),
        });
        if (!sealed.ok) return verdict.continue(`not sealed (cv=${chain.cv}, ${chain.source}): ${sealed.reason}`);
        const how = `ARC i=${sealed.instance} cv=${sealed.cv} (${chain.source}) d=${key.domain} s=${key.selector} ${key.algorithm}`;
        return verdict.continue(`${how} for ${forwarded.length} forwarded recipient(s)`, { add: sealed.fields });
      },
    }),
  ];
}
