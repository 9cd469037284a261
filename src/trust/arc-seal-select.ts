// What ARC sealing applies to: the envelope recipients forwarded off-site (alias targets
// outside our domains), and the signing key among the domain's active DKIM keys.

import type { RecipientInfo } from "../events/catalog.ts";
import type { SealKey } from "./arc-seal.ts";

/** Alias destinations outside our domains, once each (resolution "local" with a `remote` list). */
export function forwardedAddresses(recipients: readonly RecipientInfo[]): string[] {
  const out = new Set<string>();
  for (const r of recipients) if (r.resolution.kind === "local") for (const a of r.resolution.remote) out.add(a.toLowerCase());
  return [...out];
}

/**
 * The configured selector if given; otherwise RSA first: ARC takes its algorithms from DKIM
 * (RFC 8617 §4.1.2, RFC 6376 §3.3), and Ed25519 (RFC 8463) came later and is accepted by few
 * ARC validators. An Ed25519 key is used only when the domain has no RSA key.
 */
export function pickSealKey<K extends SealKey>(keys: readonly K[], selector?: string): K | null {
  if (selector !== undefined) return keys.find((k) => k.selector.toLowerCase() === selector.toLowerCase()) ?? null;
  return keys.find((k) => k.algorithm === "rsa-sha256") ?? keys[0] ?? null;
}
