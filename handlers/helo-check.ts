// helo-check: the HELO/EHLO name must be a fully-qualified domain name or an address literal
// (RFC 5321 §4.1.1.1, §2.3.5). Optional: refuse our own name claimed by a stranger,
// "dynamic-looking" names, names that do not resolve or do not match the client's address.

import { exemptReason } from "../src/trust/auth-exempt.ts";
import * as v from "valibot";
import type { Config } from "../src/config/schema.ts";
import type { SessionInfo } from "../src/events/catalog.ts";
import { defineHandler, type AnyHandler, type HandlerContext } from "../src/events/handler.ts";
import { verdict, type Verdict } from "../src/events/verdict.ts";
import { networkList } from "../src/trust/networks.ts";
import { classifyHelo } from "../src/trust/helo-name.ts";
import { resolveHelo } from "../src/trust/helo-resolve.ts";
import { sameIp } from "../src/trust/iprev-ip.ts";

const Check = v.picklist(["off", "annotate", "reject"]);

export const HeloCheckOptions = v.object({
  /**
   * When to judge (default "mail"): at MAIL FROM the client has had its chance to AUTH, and a
   * refusal names a transaction in the trace; "helo" refuses the EHLO command itself.
   */
  at: v.optional(v.picklist(["helo", "mail"]), "mail"),
  /** Listener roles checked (default ["mx"]). */
  roles: v.optional(v.array(v.string()), ["mx"]),
  /** Refuse names that are neither an FQDN nor an address literal (default true). */
  requireFqdn: v.optional(v.boolean(), true),
  /** Tolerate "_" in names (default true: Windows hosts send it; the core accepts it too). */
  allowUnderscore: v.optional(v.boolean(), true),
  /** Refuse a stranger that claims our hostname, one of `ownNames`, or our own IP as a literal (default false). */
  rejectOwnName: v.optional(v.boolean(), false),
  /** More names of ours besides config.hostname (default []). */
  ownNames: v.optional(v.array(v.string()), []),
  /** Case-insensitive regular expressions of "dynamic-looking" names to refuse (default [] = off). */
  dynamicPatterns: v.optional(v.array(v.pipe(v.string(), v.check(isRegex, "not a valid regular expression"))), []),
  /** The name must have an A or AAAA record: "off" (default), "annotate" or "reject". */
  resolve: v.optional(Check, "off"),
  /** The name's addresses (or the literal) must include the client's IP: "off" (default), "annotate" or "reject". */
  matchClient: v.optional(Check, "off"),
  /** Give up on one lookup after this long (default 3000 ms); the check is then only noted. */
  lookupTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 3000),
});
export type HeloCheckOptions = v.InferOutput<typeof HeloCheckOptions>;

function isRegex(s: string): boolean {
  try {
    new RegExp(s, "i");
    return true;
  } catch {
    return false;
  }
}

export function heloCheck(options: unknown = {}, config: Config): AnyHandler[] {
  const parsed = v.safeParse(HeloCheckOptions, options);
  if (!parsed.success) throw new TypeError(`helo-check options: ${v.summarize(parsed.issues)}`);
  const opts = parsed.output;
  const trusted = networkList(config.trust.trustedNetworks);
  const own = new Set([config.hostname, ...opts.ownNames].map((n) => n.toLowerCase().replace(/\.$/, "")));
  const dynamic = opts.dynamicPatterns.map((p) => new RegExp(p, "i"));
  // RFC 5321 §4.3.2 lists 550 among EHLO/HELO replies; RFC 3463 §3.8 X.7.1: refused by policy.
  const refuse = (why: string) => verdict.reject(550, "5.7.1", `HELO/EHLO refused: ${why}`);

  async function judge(session: SessionInfo, helo: string, ctx: HandlerContext): Promise<Verdict> {
    const skipWhy = exemptReason(session, trusted, opts.roles);
    if (skipWhy) return verdict.continue(skipWhy);
    const name = classifyHelo(helo, { underscore: opts.allowUnderscore });
    if (name.kind === "invalid") return opts.requireFqdn ? refuse(`${helo}: ${name.why}`) : verdict.continue(`${helo}: ${name.why}`);
    if (opts.rejectOwnName) {
      const claimsUs = name.kind === "fqdn" ? own.has(name.name) : sameIp(name.ip, session.localAddress);
      if (claimsUs) return refuse(`${helo} is our own name`);
    }
    if (name.kind === "fqdn") {
      const hit = dynamic.find((re) => re.test(name.name));
      if (hit) return refuse(`${helo} looks like a dynamic address (${hit.source})`);
    }
    const notes = [`${helo}: ${name.kind === "fqdn" ? "fqdn" : "address literal"}`];
    if (name.kind === "literal") {
      if (opts.matchClient !== "off") {
        const match = sameIp(name.ip, session.remoteAddress);
        if (!match && opts.matchClient === "reject") return refuse(`${helo} is not your address`);
        notes.push(match ? "matches client" : "does not match client");
      }
      return verdict.continue(notes.join("; "));
    }
    if (opts.resolve === "off" && opts.matchClient === "off") return verdict.continue(notes.join("; "));
    // RFC 5321 §4.1.4 asks servers not to refuse mail because EHLO verification fails; the
    // "reject" settings below are local policy an operator chooses knowingly. A DNS failure is
    // no evidence either way, so it is only noted (neither a refusal nor a tempfail).
    const r = await resolveHelo(ctx.dns, name.name, { timeoutMs: opts.lookupTimeoutMs, signal: ctx.signal });
    if (r.kind === "unknown") return verdict.continue([...notes, `not verified (DNS ${r.error})`].join("; "));
    const resolves = r.addresses.length > 0;
    if (opts.resolve !== "off") {
      if (!resolves && opts.resolve === "reject") return refuse(`${helo} does not resolve`);
      notes.push(resolves ? "resolves" : "does not resolve");
    }
    if (opts.matchClient !== "off") {
      const match = r.addresses.some((a) => sameIp(a, session.remoteAddress));
      if (!match && opts.matchClient === "reject") return refuse(`${helo} does not resolve to [${session.remoteAddress}]`);
      notes.push(match ? "matches client" : "does not match client");
    }
    return verdict.continue(notes.join("; "));
  }

  const timeoutMs = opts.lookupTimeoutMs + 1000;
  return opts.at === "helo"
    ? [defineHandler({ event: "smtp.helo", name: "helo-check", timeoutMs, handle: ({ session, domain }, ctx) => judge(session, domain, ctx) })]
    : [defineHandler({ event: "smtp.mail", name: "helo-check", timeoutMs, handle: ({ session }, ctx) => judge(session, session.helo ?? "", ctx) })];
}
