// MTA-STS record and policy parsing, delegated to mailauth (DESIGN §10): the _mta-sts TXT
// record's id (RFC 8461 §3.1) through our DNS resolver, and the policy file (§3.2).

import { parsePolicy, resolvePolicy } from "mailauth/lib/mta-sts.js";
import type { DnsResolver } from "../dns/resolver.ts";

/** What MTA-STS needs of the DnsResolver (a subset, so tests can pass a small fake). */
export type StsResolver = Pick<DnsResolver, "txt" | "a"> & Partial<Pick<DnsResolver, "aaaa">>;

/** RFC 8461 §3.2: max_age has a maximum value of 31557600 seconds (about one year). */
export const STS_MAX_AGE_LIMIT = 31_557_600;

export type ParsedStsPolicy = {
  mode: "enforce" | "testing" | "none";
  mx: string[];
  maxAge: number;
  /** True when the published max_age exceeded the §3.2 limit and was lowered to it. */
  maxAgeCapped: boolean;
};

/** The resolver says the name has no such record: not a failure, the domain has no policy. */
export function isNoRecord(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "NXDOMAIN" || code === "NODATA" || code === "ENOTFOUND" || code === "ENODATA";
}

/**
 * The policy id from `_mta-sts.<domain>` TXT, or null if there is no usable record.
 * Throws on a DNS failure (SERVFAIL, timeout) and on several v=STSv1 records (§3.1: the
 * domain then has no available policy, but a cached one still applies, §5.1).
 */
export async function discoverStsId(resolver: StsResolver, domain: string): Promise<string | null> {
  // mailauth expects dns.promises.resolve semantics: ENOTFOUND/ENODATA mean "no record".
  const resolve = async (name: string, rrtype: string): Promise<string[][]> => {
    if (rrtype !== "TXT") throw new Error(`unexpected ${rrtype} query for ${name}`);
    try {
      return await resolver.txt(name);
    } catch (e) {
      if (isNoRecord(e)) throw Object.assign(new Error(`no TXT record at ${name}`), { code: "ENODATA" });
      throw e;
    }
  };
  const id = await resolvePolicy(domain, { resolver: resolve as never });
  return id === false ? null : id;
}

/**
 * Parses the policy file (mailauth's lax mode: field-name and mode case are tolerated).
 * A max_age above the §3.2 limit is lowered to the limit rather than rejecting the policy,
 * so a domain that overstates it still gets protection, for at most a year between fetches.
 */
export function parseStsPolicy(text: string): ParsedStsPolicy {
  const { text: capped, maxAgeCapped } = capMaxAge(text);
  const p = parsePolicy(capped);
  return { mode: p.mode, mx: p.mx ?? [], maxAge: p.maxAge ?? 0, maxAgeCapped };
}

/** Rewrites the first max_age line (the one that counts, §3.2) when its value is over the limit. */
function capMaxAge(text: string): { text: string; maxAgeCapped: boolean } {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*max_age\s*:\s*(\d+)\s*$/i.exec(lines[i].replace(/\r$/, ""));
    if (m === null) {
      if (/^\s*max_age\s*:/i.test(lines[i])) break;
      continue;
    }
    if (Number(m[1]) <= STS_MAX_AGE_LIMIT) break;
    lines[i] = `max_age: ${STS_MAX_AGE_LIMIT}${lines[i].endsWith("\r") ? "\r" : ""}`;
    return { text: lines.join("\n"), maxAgeCapped: true };
  }
  return { text, maxAgeCapped: false };
}
