// Sliding-window rate estimate from two fixed windows (the approximation used by nginx-style
// and Cloudflare-style limiters): count = current + previous × the share of the previous
// window that still overlaps the sliding window ending now. Pure arithmetic, no I/O.

/** Start of the fixed window holding `now` (windows are aligned to multiples of their length). */
export function windowStart(now: number, windowMs: number): number {
  return now - (((now % windowMs) + windowMs) % windowMs);
}

/**
 * The estimated number of events in the `windowMs` ending at `now`, given the counts of the
 * fixed window holding `now` and of the one before it.
 */
export function slidingCount(current: number, previous: number, now: number, windowMs: number): number {
  const elapsed = (now - windowStart(now, windowMs)) / windowMs;
  return current + previous * (1 - elapsed);
}

/** A rate limit: at most `limit` events in any `windowMs`. */
export type RateLimit = { readonly limit: number; readonly windowMs: number };
