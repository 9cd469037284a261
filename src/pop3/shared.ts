// State the POP3 sessions of one server share: the maildrop locks (RFC 1939 §8: one POP3
// session per maildrop) and a cache of transmitted sizes by body hash.

/**
 * In-process exclusive locks keyed by account id. Only POP3 takes them: IMAP sessions on the
 * same INBOX are never blocked (a second POP3 session gets -ERR [IN-USE], RFC 2449 §8.1.1).
 * One process per database is assumed; several servers on one database would each lock alone.
 */
export class MaildropLocks {
  readonly #held = new Map<number, string>();

  /** Takes the lock for `accountId` on behalf of `owner`; false if someone else holds it. */
  acquire(accountId: number, owner: string): boolean {
    const cur = this.#held.get(accountId);
    if (cur !== undefined && cur !== owner) return false;
    this.#held.set(accountId, owner);
    return true;
  }

  /** Releases every lock `owner` holds (idempotent). */
  release(owner: string): void {
    for (const [id, o] of this.#held) if (o === owner) this.#held.delete(id);
  }

  get size(): number {
    return this.#held.size;
  }
}

/**
 * Transmitted size (CRLF, RFC 1939 §11) by body hash. Bodies are content-addressed and never
 * change, so an entry is valid forever; the map is bounded and evicts the least recently used.
 */
export class SizeCache {
  readonly #map = new Map<string, number>();
  constructor(private readonly max = 100_000) {}

  get(hash: string): number | undefined {
    const v = this.#map.get(hash);
    if (v !== undefined) {
      this.#map.delete(hash);
      this.#map.set(hash, v);
    }
    return v;
  }

  set(hash: string, size: number): void {
    this.#map.delete(hash);
    this.#map.set(hash, size);
    if (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value!);
  }
}

export type Pop3Shared = { readonly locks: MaildropLocks; readonly sizes: SizeCache };

export function createPop3Shared(): Pop3Shared {
  return { locks: new MaildropLocks(), sizes: new SizeCache() };
}
