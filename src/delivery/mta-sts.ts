// MTA-STS (RFC 8461) for outbound delivery: discover and cache a recipient domain's policy,
// match MX hosts against it, and turn it (with REQUIRETLS, RFC 8689) into the SMTP client's
// TLS requirement.

import { validateMx } from "mailauth/lib/mta-sts.js";
import type { Db } from "../db/client.ts";
import { normalizeDomain } from "../store/address.ts";
import { getCachedStsPolicy, putCachedStsPolicy, type CachedStsPolicy } from "../store/mta-sts.ts";
import { STS_FETCH_TIMEOUT_MS, fetchStsPolicyText, trustedCaList } from "./mta-sts-fetch.ts";
import { discoverStsId, parseStsPolicy, type StsResolver } from "./mta-sts-parse.ts";

export type { StsResolver } from "./mta-sts-parse.ts";

export type StsPolicy = { id: string; mode: "enforce" | "testing" | "none"; mx: string[]; maxAge: number };

export type StsLookup = {
  policy: StsPolicy | null;
  /** cache: an unexpired cached policy applies; fetched: fetched and cached now; none: no policy. */
  source: "cache" | "fetched" | "none";
  /** Why a live policy could not be used, or what was tolerated (for logs and TLSRPT). */
  warnings?: string[];
};

export type StsLookupOptions = {
  resolver: StsResolver;
  /** Extra trusted CA (PEM text or file path), added to the system roots: delivery.tls.ca. */
  ca?: string | null;
  /** Unix milliseconds. */
  now: number;
  timeoutMs?: number;
  /** Tests only; RFC 8461 §3.3 fetches from port 443. */
  fetchPort?: number;
  /** Overrides the A/AAAA lookup of the Policy Host (tests; a fixed address). */
  hostAddress?: (host: string) => Promise<string>;
};

/**
 * RFC 8461 §3–§5.1: the policy that applies to mail for `domain` now.
 * - TXT id equal to the unexpired cached policy's id → the cache, no fetch (§3.1, §5.1);
 * - new id, or no/expired cache → fetch, validate, cache for max_age (§3.3, §5.1);
 * - no live policy (TXT absent or failing, fetch failing) → the unexpired cache if any, else none (§5.1).
 */
export async function lookupStsPolicy(db: Db, domain: string, opts: StsLookupOptions): Promise<StsLookup> {
  const d = normalizeDomain(domain);
  if (d === null) return { policy: null, source: "none", warnings: [`invalid domain ${JSON.stringify(domain)}`] };
  const cached = await getCachedStsPolicy(db, d);
  const live = cached !== null && cached.expiresAt > opts.now ? cached : null;
  const fallback = (warning: string | null): StsLookup => {
    const warnings = warning === null ? undefined : [warning];
    return live ? { policy: toPolicy(live), source: "cache", warnings } : { policy: null, source: "none", warnings };
  };

  let id: string | null;
  try {
    id = await discoverStsId(opts.resolver, d);
  } catch (e) {
    return fallback(`_mta-sts.${d} TXT lookup failed: ${describe(e)}`);
  }
  if (id === null) return fallback(live ? `_mta-sts.${d} has no usable TXT record; cached policy applies` : null);
  if (live && live.policyId === id) return { policy: toPolicy(live), source: "cache" };

  const host = `mta-sts.${d}`;
  const warnings: string[] = [];
  let row: CachedStsPolicy;
  try {
    const address = await (opts.hostAddress ?? ((h: string) => policyHostAddress(opts.resolver, h)))(host);
    const text = await fetchStsPolicyText(host, {
      address,
      port: opts.fetchPort ?? 443,
      ca: await trustedCaList(opts.ca),
      timeoutMs: opts.timeoutMs ?? STS_FETCH_TIMEOUT_MS,
    });
    const parsed = parseStsPolicy(text);
    if (parsed.maxAgeCapped) warnings.push(`max_age of ${host} lowered to the RFC 8461 §3.2 limit`);
    row = {
      domain: d,
      policyId: id,
      mode: parsed.mode,
      mx: parsed.mx,
      maxAge: parsed.maxAge,
      fetchedAt: opts.now,
      expiresAt: opts.now + parsed.maxAge * 1000,
    };
  } catch (e) {
    return fallback(`policy fetch from ${host} failed: ${describe(e)}`);
  }
  try {
    await putCachedStsPolicy(db, row);
  } catch (e) {
    // The fetched policy is valid; a failed cache write only costs a refetch next time.
    warnings.push(`caching the policy of ${d} failed: ${describe(e)}`);
  }
  return { policy: toPolicy(row), source: "fetched", ...(warnings.length > 0 ? { warnings } : {}) };
}

/**
 * RFC 8461 §4.1: an MX host matches a policy `mx` pattern exactly, or a "*.example.com"
 * pattern when the wildcard replaces exactly one, left-most, label. Ignores the policy mode.
 */
export function mxMatchesPolicy(policy: StsPolicy, mxHost: string): boolean {
  return validateMx(mxHost, { mode: "enforce", mx: policy.mx }).valid;
}

export type TlsRequirement = {
  /** No delivery without STARTTLS. */
  requireTls: boolean;
  /** The certificate must chain to a trusted root (system + delivery.tls.ca), be unexpired, and name the MX host. */
  verifyCert: boolean;
  /** Only MX hosts for which this returns true may be used (the others are skipped, not tried). */
  allowedMx?: (host: string) => boolean;
};

/**
 * What the SMTP client must insist on for one recipient domain.
 * - enforce (RFC 8461 §5): TLS with a PKIX-valid certificate naming the MX host (§4.2), only
 *   to MX hosts matching the policy (§4.1); a failure is a temporary delivery failure.
 * - testing (§5): opportunistic; callers may log mismatches (mxMatchesPolicy) for TLSRPT.
 * - none, or no policy: opportunistic.
 * - REQUIRETLS (RFC 8689 §4.2.1): TLS with a valid certificate regardless of the policy, and the
 *   MX name must be validated by DNSSEC or MTA-STS. We have no DNSSEC, so a policy's mx list is
 *   binding here even in testing mode (our choice: it is the only evidence there is). The client
 *   must ALSO check that the next hop advertises REQUIRETLS in EHLO and otherwise not send the
 *   message (§4.2.1); a domain with no policy has no validated MX, which the caller must judge.
 */
export function tlsRequirement(policy: StsPolicy | null, requiretls: boolean): TlsRequirement {
  const matcher = (p: StsPolicy) => (host: string) => mxMatchesPolicy(p, host);
  if (requiretls) {
    const vouches = policy !== null && (policy.mode === "enforce" || policy.mode === "testing");
    return { requireTls: true, verifyCert: true, ...(vouches ? { allowedMx: matcher(policy) } : {}) };
  }
  if (policy?.mode === "enforce") return { requireTls: true, verifyCert: true, allowedMx: matcher(policy) };
  return { requireTls: false, verifyCert: false };
}

/** RFC 8461 §3.3: connect to the Policy Host's address (A first, then AAAA). */
async function policyHostAddress(resolver: StsResolver, host: string): Promise<string> {
  const first = async (q: ((n: string) => Promise<string[]>) | undefined): Promise<string | null> => {
    if (q === undefined) return null;
    try {
      return (await q.call(resolver, host))[0] ?? null;
    } catch {
      return null;
    }
  };
  const addr = (await first(resolver.a)) ?? (await first(resolver.aaaa));
  if (addr === null) throw new Error(`policy host ${host} has no A or AAAA record`);
  return addr;
}

function toPolicy(r: CachedStsPolicy): StsPolicy {
  return { id: r.policyId, mode: r.mode, mx: [...r.mx], maxAge: r.maxAge };
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
