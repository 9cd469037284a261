// Retry timing of the outbound queue: exponential back-off with jitter, give-up time, and when
// to send the one "delayed" DSN. Pure arithmetic on epoch milliseconds; the worker persists it.

import type { DeliverySettings } from "../config/schema.ts";

export type RetrySettings = DeliverySettings["retry"];
export type BackoffSettings = Pick<RetrySettings, "firstMs" | "maxMs" | "factor">;

/** ±10 %: enough that messages deferred together (one MX outage) do not retry in lockstep. */
export const JITTER = 0.1;

/**
 * When to try again after `attempts` attempts (this one included, so 1 after the first try).
 * RFC 5321 §4.5.4.1: the retry interval SHOULD be at least 30 minutes, giving up after 4–5
 * days; the defaults (5 min doubling to 1 h, Postfix-like) try sooner at first, which the RFC
 * allows when the sender can tell the failure is transient. The interval before jitter is
 * firstMs × factor^(attempts − 1), capped at maxMs; jitter then moves it by up to ±10 %.
 * `random` returns a number in [0, 1); pass a constant to make the result deterministic.
 */
export function nextAttemptAt(
  attempts: number,
  now: number,
  cfg: BackoffSettings,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(attempts));
  const first = Math.max(0, cfg.firstMs);
  const max = Math.max(first, cfg.maxMs);
  // factor^(n-1) overflows to Infinity for large n; min() then caps it, never NaN (first ≥ 0
  // and factor ≥ 1 per the config schema, so no 0 × Infinity unless firstMs is 0).
  const grown = first === 0 ? 0 : first * Math.pow(Math.max(1, cfg.factor), n - 1);
  const base = Math.min(max, grown);
  const r = Math.min(Math.max(random(), 0), 1);
  return now + Math.round(base * (1 + JITTER * (2 * r - 1)));
}

/** The give-up time of a message queued at `createdAt` (RFC 5321 §4.5.4.1: 4–5 days). */
export function expiresAtFor(createdAt: number, lifetimeMs: number): number {
  return createdAt + Math.max(0, lifetimeMs);
}

/** Past the give-up time a deferred recipient fails (and its sender gets a "failed" DSN). */
export function isExpired(now: number, expiresAt: number): boolean {
  return now >= expiresAt;
}

/**
 * RFC 3464 Action "delayed": one warning once a recipient has waited `delayDsnAfterMs`
 * (0 disables it), and never twice. Whether the sender wants it (NOTIFY) is decided by
 * dsnRecipientsFor in dsn-notify.ts.
 */
export function shouldSendDelayDsn(
  now: number,
  createdAt: number,
  delayDsnAfterMs: number,
  alreadyNotified: boolean,
): boolean {
  if (alreadyNotified || !(delayDsnAfterMs > 0)) return false;
  return now - createdAt >= delayDsnAfterMs;
}
