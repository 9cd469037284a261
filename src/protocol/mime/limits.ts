// Default MIME parse caps (DESIGN §5) and their sanitising: whatever a caller passes, the
// parser gets finite, non-negative limits and a recursion depth it can afford.

import type { MimeLimits } from "./types.ts";

export const DEFAULT_MIME_LIMITS: MimeLimits = Object.freeze({
  maxDepth: 32,
  maxParts: 1000,
  maxHeaderBytes: 256 * 1024,
});

/** Each level is a couple of stack frames and one more scan of its range, so depth is clamped. */
const HARD_MAX_DEPTH = 256;

function sane(n: number, fallback: number, max: number): number {
  return Number.isFinite(n) ? Math.min(Math.max(0, Math.floor(n)), max) : fallback;
}

export function saneLimits(limits: MimeLimits): MimeLimits {
  const d = DEFAULT_MIME_LIMITS;
  return {
    maxDepth: sane(limits.maxDepth, d.maxDepth, HARD_MAX_DEPTH),
    maxParts: Math.max(1, sane(limits.maxParts, d.maxParts, Number.MAX_SAFE_INTEGER)),
    maxHeaderBytes: sane(limits.maxHeaderBytes, d.maxHeaderBytes, Number.MAX_SAFE_INTEGER),
  };
}
