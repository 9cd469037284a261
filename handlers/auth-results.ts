// Authentication-Results (RFC 8601): one field with our authserv-id, built from every
// `authResults` fragment earlier handlers left in ctx.results (spf, message-auth, iprev, …).
// Runs after them at end of DATA. Fields that claim our authserv-id but came with the message
// are forged, and removed (§5) — from every client, trusted or not.

import * as v from "valibot";
import { defineHandler, type AnyHandler } from "../src/events/handler.ts";
import { verdict } from "../src/events/verdict.ts";
import type { Config } from "../src/config/schema.ts";
import { networkList } from "../src/trust/networks.ts";
import { exemptReason } from "../src/trust/auth-exempt.ts";
import { collectAuthResults } from "../src/trust/auth-findings.ts";
import { authResultsValue, ownAuthservPattern } from "../src/trust/auth-results-header.ts";

export const AuthResultsOptions = v.object({
  /**
   * Stamp mail from trusted networks and authenticated users too; default false (their mail
   * was not checked, and outgoing mail should not carry our inbound verdicts).
   */
  stampTrusted: v.optional(v.boolean(), false),
  /** Other authserv-ids whose fields are also removed (e.g. our other MX hosts' names); default []. */
  alsoRemove: v.optional(v.array(v.pipe(v.string(), v.minLength(1))), []),
});
export type AuthResultsOptions = v.InferOutput<typeof AuthResultsOptions>;

export function authResults(options: unknown = {}, config: Config): AnyHandler[] {
  const parsed = v.safeParse(AuthResultsOptions, options);
  if (!parsed.success) throw new Error(`handler auth-results: invalid options: ${v.summarize(parsed.issues)}`);
  const o = parsed.output;
  const trusted = networkList(config.trust.trustedNetworks);
  const authservId = config.trust.authservId ?? config.hostname;
  const remove = [authservId, ...o.alsoRemove].map((id) => ({ name: "Authentication-Results", pattern: ownAuthservPattern(id) }));

  return [
    defineHandler({
      event: "smtp.data",
      name: "auth-results",
      handle({ session }, ctx) {
        const skip = exemptReason(session, trusted);
        if (skip && !o.stampTrusted) return verdict.continue(`${skip}; forged ${authservId} fields removed`, { remove });
        const resinfos = collectAuthResults(ctx.results);
        const value = authResultsValue(authservId, resinfos);
        return verdict.continue(`Authentication-Results: ${resinfos.length} result(s)`, {
          remove,
          add: [{ name: "Authentication-Results", value }],
        });
      },
    }),
  ];
}
