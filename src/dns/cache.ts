// A small answer cache for the stub resolver: each answer is kept for the TTL its loader gives
// (the smallest TTL of the records, RFC 1035 §3.2.1, or for NXDOMAIN/NODATA the SOA's negative
// TTL, RFC 2308 §5; capped at an hour), bounded in entries with the oldest dropped first, plus
// sharing of identical lookups already in flight. A loader that throws (SERVFAIL, timeouts)
// leaves nothing behind.

/** An hour: a record's TTL may say more, but a changed DKIM key or SPF record should show. */
export const MAX_CACHE_TTL_S = 3600;

type Entry<T> = { value: T; expires: number };

export class AnswerCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #inflight = new Map<string, Promise<{ value: T; ttl: number }>>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The cached value for `key`, or the result of `load` (shared with concurrent callers of
   * the same key), cached for `ttl` seconds when that is positive.
   */
  async get(key: string, load: () => Promise<{ value: T; ttl: number }>): Promise<T> {
    const hit = this.#entries.get(key);
    if (hit) {
      if (hit.expires > this.now()) return hit.value;
      this.#entries.delete(key);
    }
    if (this.maxEntries <= 0) return (await load()).value;
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = load();
      this.#inflight.set(key, pending);
      pending.then(
        ({ value, ttl }) => {
          this.#inflight.delete(key);
          if (ttl > 0) this.#put(key, value, Math.min(ttl, MAX_CACHE_TTL_S));
        },
        () => this.#inflight.delete(key),
      );
    }
    return (await pending).value;
  }

  #put(key: string, value: T, ttl: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expires: this.now() + ttl * 1000 });
  }
}
