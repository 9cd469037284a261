// fcrdns: forward-confirmed reverse DNS of the client ("iprev", RFC 8601 §3). By default it only
// records the result for the Authentication-Results header; it can refuse clients that fail.

import { exemptReason } from "../src/trust/auth-exempt.ts";
import * as v from "valibot";
import type { Config } from "../src/config/schema.ts";
import { defineHandler, type AnyHandler } from "../src/events/handler.ts";
import { verdict } from "../src/events/verdict.ts";
import { networkList } from "../src/trust/networks.ts";
import { checkIprev, iprevAuthResult, type Iprev } from "../src/trust/iprev.ts";

export const FcrdnsOptions = v.object({
  /** Listener roles checked (default ["mx"]). */
  roles: v.optional(v.array(v.string()), ["mx"]),
  /** On fail (no PTR, or no PTR name resolves back): "annotate" (default) or "reject" (550 5.7.25). */
  onFail: v.optional(v.picklist(["annotate", "reject"]), "annotate"),
  /** On temperror (DNS did not answer): "annotate" (default) or "tempfail" (451 4.7.25). */
  onTempError: v.optional(v.picklist(["annotate", "tempfail"]), "annotate"),
  /** PTR names checked (default 10). */
  maxNames: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 10),
  /** Give up on one lookup after this long (default 3000 ms) → temperror. */
  lookupTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 3000),
});
export type FcrdnsOptions = v.InferOutput<typeof FcrdnsOptions>;

/** Left in ctx.results under "fcrdns"; `authResults` is collected by the auth-results handler. */
export type FcrdnsResult = Iprev & { readonly authResults: readonly string[] };

export function fcrdns(options: unknown = {}, config: Config): AnyHandler[] {
  const parsed = v.safeParse(FcrdnsOptions, options);
  if (!parsed.success) throw new TypeError(`fcrdns options: ${v.summarize(parsed.issues)}`);
  const opts = parsed.output;
  const trusted = networkList(config.trust.trustedNetworks);
  return [
    // At MAIL rather than connect: ctx.results lives for one transaction, and every message's
    // Authentication-Results needs the iprev result.
    defineHandler({
      event: "smtp.mail",
      name: "fcrdns",
      timeoutMs: 2 * opts.lookupTimeoutMs + 1000,
      async handle({ session }, ctx) {
        const skipWhy = exemptReason(session, trusted, opts.roles);
        if (skipWhy) return verdict.continue(skipWhy);
        const r = await checkIprev(ctx.dns, session.remoteAddress, { maxNames: opts.maxNames, timeoutMs: opts.lookupTimeoutMs, signal: ctx.signal });
        const ar = iprevAuthResult(r);
        ctx.results.set("fcrdns", { ...r, authResults: [ar] } satisfies FcrdnsResult);
        const note = `${ar}: ${r.reason}`;
        // RFC 7372 §3.3: X.7.25 "Reverse DNS validation failed".
        if (r.result === "fail" && opts.onFail === "reject") {
          return verdict.reject(550, "5.7.25", `Reverse DNS of [${r.ip}] does not resolve back to it`);
        }
        if (r.result === "temperror" && opts.onTempError === "tempfail") {
          return verdict.tempfail(451, "4.7.25", `Reverse DNS of [${r.ip}] could not be checked, try again later`);
        }
        return verdict.continue(note);
      },
    }),
  ];
}
