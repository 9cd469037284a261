// What the mailauth-based handlers leave in ctx.results for later handlers (DMARC policy,
// Authentication-Results, ARC sealing), keyed by handler name. Any handler may add an
// `authResults` array of RFC 8601 resinfo strings; the auth-results handler collects them all.

import type { AuthenticateResult } from "mailauth";
import type { DnsLog } from "./auth-dns-replay.ts";

export type SpfResultName = "pass" | "fail" | "softfail" | "neutral" | "none" | "temperror" | "permerror";

/** Stored by the `spf` handler at MAIL FROM under the key "spf". */
export type SpfFinding = {
  /** RFC 8601 resinfos, e.g. "spf=pass smtp.mailfrom=a@example.org". */
  readonly authResults: string[];
  /** Result of the identity that counts: MAIL FROM, or HELO for the null sender (RFC 7208 §2.4). */
  readonly result: SpfResultName;
  readonly identity: "mailfrom" | "helo";
  readonly domain: string;
  /** The DNS answers used, replayed by message-auth so SPF is not queried twice. */
  readonly dnsLog: DnsLog;
  readonly limits: { readonly maxResolveCount: number; readonly maxVoidCount: number };
};

export type DkimSummary = { readonly result: string; readonly domain: string; readonly selector: string; readonly algorithm: string; readonly aligned: boolean };

export type DmarcSummary = {
  readonly result: "pass" | "fail" | "none" | "temperror" | "permerror" | string;
  /** The author (RFC5322.From) domain. */
  readonly domain: string;
  /** The policy to apply (p, sp or np, after t=y), as mailauth evaluated it; null when unknown. */
  readonly policy: "none" | "quarantine" | "reject" | null;
  /** The record's pct= (RFC 7489 §6.3), 100 when absent. */
  readonly pct: number;
  readonly testMode: boolean;
};

/** Stored by the `message-auth` handler at end of DATA under the key "message-auth". */
export type MessageAuthFinding = {
  readonly authResults: string[];
  readonly dkim: readonly DkimSummary[];
  readonly arc: { readonly result: string; readonly instance: number; readonly sealer: string | null } | null;
  readonly dmarc: DmarcSummary | null;
  /** Checks that met a temporary DNS failure ("spf", "dkim", "dmarc", "arc"). */
  readonly temperrors: readonly string[];
  /** mailauth's whole answer, for handlers that need more (ARC sealing). */
  readonly raw: AuthenticateResult;
};

export const SPF_KEY = "spf";
export const MESSAGE_AUTH_KEY = "message-auth";

export function spfFinding(results: ReadonlyMap<string, unknown>): SpfFinding | undefined {
  return results.get(SPF_KEY) as SpfFinding | undefined;
}

export function messageAuthFinding(results: ReadonlyMap<string, unknown>): MessageAuthFinding | undefined {
  return results.get(MESSAGE_AUTH_KEY) as MessageAuthFinding | undefined;
}

/** Every resinfo any handler stored, in the order the handlers ran. */
export function collectAuthResults(results: ReadonlyMap<string, unknown>): string[] {
  const out: string[] = [];
  for (const value of results.values()) {
    const list = (value as { authResults?: unknown } | null)?.authResults;
    if (Array.isArray(list)) for (const r of list) if (typeof r === "string" && r.trim()) out.push(r.trim());
  }
  return out;
}
