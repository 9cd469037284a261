// SPF (RFC 7208) at MAIL FROM, through mailauth: checks the MAIL FROM identity, or the HELO
// identity for the null sender <> (§2.4), records the result for DMARC and the
// Authentication-Results header, and acts on it as configured.

import * as v from "valibot";
import { spf as checkSpf } from "mailauth";
import { defineHandler, type AnyHandler } from "../src/events/handler.ts";
import { verdict, type Verdict } from "../src/events/verdict.ts";
import type { Config } from "../src/config/schema.ts";
import { networkList } from "../src/trust/networks.ts";
import { exemptReason, heloIdentity } from "../src/trust/auth-exempt.ts";
import { recordingResolver, type DnsAnswer } from "../src/trust/auth-dns-replay.ts";
import { SPF_KEY, type SpfFinding, type SpfResultName } from "../src/trust/auth-findings.ts";

const count = (dflt: number) => v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), dflt);

export const SpfOptions = v.object({
  /**
   * "fail" (-all matched). Default "defer-to-dmarc": note it and let DMARC decide, since an SPF
   * reject before DMARC would refuse mail that DKIM still authenticates (RFC 7489 §10.1).
   * "reject": 550 5.7.23 at MAIL FROM (RFC 7208 §8.4, code from RFC 7372 §3.2).
   */
  onFail: v.optional(v.picklist(["defer-to-dmarc", "reject"]), "defer-to-dmarc"),
  /** "softfail" (~all): default "continue" (RFC 7208 §8.5: SHOULD NOT reject); or "reject". */
  onSoftfail: v.optional(v.picklist(["continue", "reject"]), "continue"),
  /** "permerror" (broken record, > 10 lookups): default "continue"; "reject" → 550 5.7.24 (RFC 7372). */
  onPermerror: v.optional(v.picklist(["continue", "reject"]), "continue"),
  /** "temperror" (DNS timeout/SERVFAIL): default "tempfail" → 451 4.4.3 (RFC 7208 §8.6); or "continue". */
  onTemperror: v.optional(v.picklist(["tempfail", "continue"]), "tempfail"),
  /** Also check the HELO identity of non-null senders first (RFC 7208 §2.3); default false. */
  checkHelo: v.optional(v.boolean(), false),
  /** DNS-querying terms per check (RFC 7208 §4.6.4): default 10; more → permerror. */
  maxLookups: count(10),
  /** Lookups answering NXDOMAIN/no data (RFC 7208 §4.6.4): default 2; more → permerror. */
  maxVoidLookups: count(2),
  /** Time limit of one check in ms (RFC 7208 §4.6.4): default 8000; past it → temperror. */
  maxElapsedMs: count(8000),
});
export type SpfOptions = v.InferOutput<typeof SpfOptions>;

type Check = { result: SpfResultName; domain: string; info: string };

/** RFC 7208 §8: the reply for each result, or null to go on. */
function decide(o: SpfOptions, c: Check, ip: string, identity: string): Verdict | null {
  const who = `${identity}=${c.domain}`;
  switch (c.result) {
    case "fail":
      return o.onFail === "reject" ? verdict.reject(550, "5.7.23", `SPF check failed: ${c.domain} does not allow ${ip} to send its mail`) : null;
    case "softfail":
      return o.onSoftfail === "reject" ? verdict.reject(550, "5.7.23", `SPF check failed (softfail) for ${c.domain} from ${ip}`) : null;
    case "permerror":
      return o.onPermerror === "reject" ? verdict.reject(550, "5.7.24", `SPF record of ${c.domain} is invalid (permerror, ${who})`) : null;
    case "temperror":
      return o.onTemperror === "tempfail" ? verdict.tempfail(451, "4.4.3", `Temporary DNS failure checking SPF of ${c.domain}, try again later`) : null;
    case "pass":
    case "neutral":
    case "none":
      return null;
  }
}

export function spf(options: unknown = {}, config: Config): AnyHandler[] {
  const parsed = v.safeParse(SpfOptions, options);
  if (!parsed.success) throw new Error(`handler spf: invalid options: ${v.summarize(parsed.issues)}`);
  const o = parsed.output;
  const trusted = networkList(config.trust.trustedNetworks);
  const mta = config.trust.authservId ?? config.hostname;
  const limits = { maxResolveCount: o.maxLookups, maxVoidCount: o.maxVoidLookups };

  return [
    defineHandler({
      event: "smtp.mail",
      name: SPF_KEY,
      // Past the evaluation limit mailauth answers temperror itself; this is the backstop.
      timeoutMs: o.maxElapsedMs + 2000,
      async handle({ session, from }, ctx) {
        const skip = exemptReason(session, trusted);
        if (skip) return verdict.continue(skip);
        const ip = session.remoteAddress;
        const helo = heloIdentity(session);
        const dnsLog = new Map<string, DnsAnswer>();
        const resolver = recordingResolver(ctx.dns.resolve, dnsLog);
        const run = async (sender: string): Promise<Check> => {
          const r = await checkSpf({ sender, ip, helo, mta, resolver, ...limits, maxElapsedTime: o.maxElapsedMs });
          return { result: r.status.result as SpfResultName, domain: r.domain, info: r.info };
        };

        const checks: { identity: "helo" | "mailfrom"; check: Check }[] = [];
        // RFC 7208 §2.3: a HELO "fail" is conclusive; an address literal has no SPF to check.
        if (o.checkHelo && from !== "" && !helo.startsWith("[")) checks.push({ identity: "helo", check: await run("") });
        const heloVerdict = checks[0] && checks[0].check.result === "fail" ? decide(o, checks[0].check, ip, "helo") : null;
        // With the null reverse-path mailauth checks postmaster@<HELO> (RFC 7208 §2.4).
        if (!heloVerdict) checks.push({ identity: from === "" ? "helo" : "mailfrom", check: await run(from) });
        const last = checks[checks.length - 1]!;

        const finding: SpfFinding = {
          authResults: checks.map((c) => c.check.info),
          result: last.check.result,
          identity: last.identity,
          domain: last.check.domain,
          dnsLog,
          limits,
        };
        ctx.results.set(SPF_KEY, finding);
        const note = checks.map((c) => `spf=${c.check.result} (${c.identity}=${c.check.domain}, ip ${ip})`).join("; ");
        const decided = heloVerdict ?? decide(o, last.check, ip, last.identity);
        if (decided) return decided;
        return verdict.continue(last.check.result === "fail" ? `${note}; fail left to DMARC` : note);
      },
    }),
  ];
}
