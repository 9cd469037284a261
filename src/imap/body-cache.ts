// Bounded caches of what is derived from a stored message's body. A message's body never
// changes: UIDs and mailbox ids are never reused and a body is immutable under its SHA-256, so
// an entry keyed by (mailbox id, UID) is never stale, whoever writes the database. Dovecot keeps
// the same kind of data (header fields clients fetch and search) in its index cache files.

/** Byte-bounded map, oldest entries evicted first. */
export class BoundedBytesCache<K, V> {
  readonly #map = new Map<K, { value: V; bytes: number }>();
  #bytes = 0;
  constructor(readonly maxBytes: number) {}

  get(key: K): V | undefined {
    return this.#map.get(key)?.value;
  }

  set(key: K, value: V, bytes: number): void {
    const old = this.#map.get(key);
    if (old) {
      this.#bytes -= old.bytes;
      this.#map.delete(key);
    }
    if (bytes > this.maxBytes) return;
    this.#map.set(key, { value, bytes });
    this.#bytes += bytes;
    while (this.#bytes > this.maxBytes) {
      const first = this.#map.entries().next().value!;
      this.#map.delete(first[0]);
      this.#bytes -= first[1].bytes;
    }
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#map.size;
  }

  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }
}

/** Per-entry overhead (map entry, key string, object) added to the payload's own bytes. */
export const ENTRY_OVERHEAD = 160;

/** One number for (mailbox id, UID): UIDs are 32-bit, ids far below 2^21, so it is exact. */
export function messageKey(mailboxId: number, uid: number): number {
  return mailboxId * 4_294_967_296 + uid;
}

/**
 * One value per database (ids and UIDs are only unique within one), created on first use: a
 * process serving one database has one; tests that open many get one each.
 */
export function perDatabase<T>(make: () => T): (db: object) => T {
  const all = new WeakMap<object, T>();
  return (db) => {
    let v = all.get(db);
    if (v === undefined) all.set(db, (v = make()));
    return v;
  };
}

/**
 * BODY[HEADER.FIELDS (…)] / BODY[HEADER] of a message by section spec, per message: what mail
 * clients fetch for every message list. 16 MiB holds some 50k header-field sets.
 */
export const headerSectionCache = perDatabase(() => new BoundedBytesCache<number, Map<string, Uint8Array | null>>(16 * 1024 * 1024));
