// Turns mailauth's authenticate() answer into the small typed finding later handlers read
// (src/trust/auth-findings.ts), and a one-line trace note naming each decision.

import type { AuthenticateResult } from "mailauth";
import type { DkimSummary, DmarcSummary, MessageAuthFinding } from "./auth-findings.ts";

type Policy = DmarcSummary["policy"];
const asPolicy = (p: unknown): Policy => (p === "none" || p === "quarantine" || p === "reject" ? p : null);

/** The d= of the newest ARC-Seal: the forwarder that vouches for the chain (RFC 8617 §4.1.3). */
function arcSealer(arc: AuthenticateResult["arc"]): string | null {
  const chain = arc ? (arc as unknown as { chain?: unknown }).chain : undefined;
  if (!Array.isArray(chain) || chain.length === 0) return null;
  const newest = chain.reduce((a, b) => ((b?.i ?? 0) > (a?.i ?? 0) ? b : a));
  const d = newest?.["arc-seal"]?.parsed?.d?.value;
  return typeof d === "string" ? d.toLowerCase() : null;
}

export function summarize(raw: AuthenticateResult, opts: { includeSpf: boolean }): Omit<MessageAuthFinding, "raw"> {
  const dkim: DkimSummary[] = (raw.dkim?.results ?? []).map((r) => ({
    result: r.status?.result ?? "neutral",
    domain: r.signingDomain ?? "",
    selector: r.selector ?? "",
    algorithm: r.algo ?? "",
    aligned: Boolean(r.status?.aligned),
  }));
  const d = raw.dmarc || null;
  // pct= is historic in RFC 9989 but still published; mailauth keeps the parsed record hidden.
  const record = d ? (d as unknown as { record?: { pct?: unknown } }).record : undefined;
  const pct = typeof record?.pct === "number" ? Math.max(0, Math.min(100, record.pct)) : 100;
  const dmarc: DmarcSummary | null = d
    ? { result: d.status.result, domain: d.status.header?.from ?? d.domain, policy: asPolicy(d.policy), pct, testMode: Boolean(d.testMode) }
    : null;
  const arc = raw.arc ? { result: raw.arc.status.result, instance: Number(raw.arc.i || 0), sealer: arcSealer(raw.arc) } : null;

  const temperrors: string[] = [];
  if (opts.includeSpf && raw.spf && raw.spf.status.result === "temperror") temperrors.push("spf");
  if (dkim.some((x) => x.result === "temperror")) temperrors.push("dkim");
  if (dmarc?.result === "temperror") temperrors.push("dmarc");

  // RFC 8601 resinfos; mailauth's own spf line is used only when no spf handler ran at MAIL.
  const authResults: string[] = [];
  if (opts.includeSpf && raw.spf) authResults.push(raw.spf.info);
  for (const r of raw.dkim?.results ?? []) if (r.info) authResults.push(r.info);
  if (raw.arc && raw.arc.info) authResults.push(raw.arc.info);
  if (d && d.info) authResults.push(d.info);
  return { authResults, dkim, arc, dmarc, temperrors };
}

/** "dkim=pass (example.org s=sel ed25519-sha256, aligned); arc=none; dmarc=fail (example.org policy=reject pct=100)". */
export function traceNote(f: Omit<MessageAuthFinding, "raw">, spf: string | null): string {
  const parts: string[] = [];
  if (spf) parts.push(spf);
  if (f.dkim.length === 0) parts.push("dkim=none");
  for (const k of f.dkim) parts.push(`dkim=${k.result} (${k.domain} s=${k.selector} ${k.algorithm}${k.aligned ? ", aligned" : ""})`);
  if (f.arc) parts.push(`arc=${f.arc.result}${f.arc.sealer ? ` (sealer ${f.arc.sealer}, i=${f.arc.instance})` : ""}`);
  if (f.dmarc) parts.push(`dmarc=${f.dmarc.result} (${f.dmarc.domain} policy=${f.dmarc.policy ?? "?"} pct=${f.dmarc.pct}${f.dmarc.testMode ? " t=y" : ""})`);
  else parts.push("dmarc=none (no single author domain or DMARC off)");
  return parts.join("; ");
}
