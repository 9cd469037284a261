// DMARC pct= sampling (RFC 7489 §6.3 "pct", §6.6.4): only pct% of failing messages get the
// published policy; the rest get the next less strict one. The draw is a hash of the
// transaction id, so it is uniform across messages, reproducible in a trace and in tests.

import { createHash } from "node:crypto";

export type DmarcPolicy = "none" | "quarantine" | "reject";

/** A number in 0..99 derived from `key`. */
export function sampleBucket(key: string): number {
  const h = createHash("sha256").update(key).digest();
  return h.readUInt32BE(0) % 100;
}

/** The policy to apply to one failing message: `policy` when sampled, else one step weaker. */
export function sampledPolicy(policy: DmarcPolicy, pct: number, key: string): { policy: DmarcPolicy; sampled: boolean } {
  if (pct >= 100 || sampleBucket(key) < pct) return { policy, sampled: true };
  return { policy: policy === "reject" ? "quarantine" : "none", sampled: false };
}
