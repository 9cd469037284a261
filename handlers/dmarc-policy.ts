// Acts on the DMARC result of `message-auth` (RFC 7489 §6.6.4, §6.7): p=reject → 550 5.7.1,
// p=quarantine → the recipient's Junk. Honours pct=, and local overrides: an allowlist of author
// domains, and forwarders trusted by their ARC seal (RFC 8617 §7.2). Place after auth-results,
// so a quarantined message still carries its Authentication-Results field.

import * as v from "valibot";
import { defineHandler, type AnyHandler } from "../src/events/handler.ts";
import { verdict } from "../src/events/verdict.ts";
import type { Config } from "../src/config/schema.ts";
import { messageAuthFinding } from "../src/trust/auth-findings.ts";
import { sampledPolicy } from "../src/trust/auth-dmarc-sampling.ts";

const domainList = v.optional(v.array(v.pipe(v.string(), v.minLength(1), v.toLowerCase())), []);

export const DmarcPolicyOptions = v.object({
  /** p=reject failures: default "reject" (550 5.7.1), or "quarantine" (deliver to Junk). */
  onReject: v.optional(v.picklist(["reject", "quarantine"]), "reject"),
  /** p=quarantine failures: default "quarantine" (Junk), or "continue" (deliver to INBOX). */
  onQuarantine: v.optional(v.picklist(["quarantine", "continue"]), "quarantine"),
  /** Apply pct= sampling (RFC 7489 §6.3); default true. false applies the policy to every failure. */
  honourPct: v.optional(v.boolean(), true),
  /**
   * ARC sealers (d= of the newest ARC-Seal) whose passing chain overrides a DMARC failure, e.g.
   * mailing lists that rewrite messages (RFC 8617 §7.2); default [].
   */
  trustedForwarders: domainList,
  /** Author domains (and their subdomains) whose DMARC failures are never acted on; default []. */
  allowDomains: domainList,
  /**
   * A failure while some input (SPF, DKIM) met a DNS temporary error might have passed:
   * default "tempfail" (451 4.4.3), or "apply" the policy anyway.
   */
  onTemperror: v.optional(v.picklist(["tempfail", "apply"]), "tempfail"),
});
export type DmarcPolicyOptions = v.InferOutput<typeof DmarcPolicyOptions>;

const inList = (domain: string, list: readonly string[]) => list.some((d) => domain === d || domain.endsWith(`.${d}`));

export function dmarcPolicy(options: unknown = {}, _config: Config): AnyHandler[] {
  const parsed = v.safeParse(DmarcPolicyOptions, options);
  if (!parsed.success) throw new Error(`handler dmarc-policy: invalid options: ${v.summarize(parsed.issues)}`);
  const o = parsed.output;

  return [
    defineHandler({
      event: "smtp.data",
      name: "dmarc-policy",
      handle({ envelope }, ctx) {
        const found = messageAuthFinding(ctx.results);
        if (!found) return verdict.continue("no message-auth result (skipped or not configured)");
        const d = found.dmarc;
        if (!d || d.result !== "fail") return verdict.continue(`dmarc=${d?.result ?? "none"}: nothing to apply`);
        const domain = d.domain.toLowerCase();
        if (inList(domain, o.allowDomains)) return verdict.continue(`dmarc=fail for ${domain} overridden: allowDomains`);
        const arc = found.arc;
        if (arc?.result === "pass" && arc.sealer && inList(arc.sealer, o.trustedForwarders)) {
          return verdict.continue(`dmarc=fail for ${domain} overridden: arc=pass sealed by trusted forwarder ${arc.sealer} (RFC 8617 §7.2)`);
        }
        const published = d.policy ?? "none";
        const { policy, sampled } = o.honourPct ? sampledPolicy(published, d.pct, envelope.transactionId) : { policy: published, sampled: true };
        const how = `dmarc=fail for ${domain} p=${published}${d.pct < 100 ? ` pct=${d.pct} ${sampled ? "sampled" : "not sampled"}` : ""}`;
        if (policy === "none") return verdict.continue(`${how}: policy none`);
        if (found.temperrors.length > 0 && o.onTemperror === "tempfail") {
          return verdict.tempfail(451, "4.4.3", `Temporary DNS failure (${found.temperrors.join(", ")}) while checking DMARC of ${domain}, try again later`);
        }
        if (policy === "reject" && o.onReject === "reject") {
          return verdict.reject(550, "5.7.1", `Unauthenticated mail from ${domain} is refused by its DMARC policy`);
        }
        if (policy === "quarantine" && o.onQuarantine === "continue") return verdict.continue(`${how}: quarantine not applied (onQuarantine)`);
        return verdict.quarantine(`${how}: filed into Junk`);
      },
    }),
  ];
}
