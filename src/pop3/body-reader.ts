// Reads stored message bodies for POP3 in bounded pieces. A body up to READ_CHUNK octets is
// one query; a larger one is read with substr() slices, so the JS side never holds more
// than one slice of a 50 MiB message (SQLite itself materialises the blob per query).

import type { Db } from "../db/client.ts";

export const READ_CHUNK = 8 * 1024 * 1024;
/** Read-ahead for sequential RETRs: bodies per query and octets held per session. */
const AHEAD_MESSAGES = 32;
const AHEAD_BYTES = 512 * 1024;

/** A blob as a plain Uint8Array view (db.read gives Node Buffers; the remote client ArrayBuffers). */
function bytes(v: unknown): Uint8Array | null {
  if (v instanceof Uint8Array) return v.constructor === Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return v instanceof ArrayBuffer ? new Uint8Array(v) : null;
}

export type StoredMessage = {
  readonly hash: string;
  readonly size: number;
  /** The whole body when it is small enough to have come with the first query. */
  readonly whole: Uint8Array | null;
};

/**
 * The body of message `uid` (stored as `hash`, `size` octets) if the message is still in the
 * mailbox; null once it was expunged (over IMAP). A UID's body never changes, so the hash
 * known from the maildrop listing is the one to read. Small bodies come with this query.
 */
export async function findMessage(db: Db, mailboxId: number, uid: number, hash: string, size: number): Promise<StoredMessage | null> {
  const exists = "EXISTS (SELECT 1 FROM mailbox_messages WHERE mailbox_id = ? AND uid = ?)";
  if (size <= READ_CHUNK) {
    const row = await db.read.get(`SELECT content FROM bodies WHERE hash = ? AND ${exists}`, [hash, mailboxId, uid]);
    const whole = bytes(row?.[0]);
    return whole ? { hash, size, whole } : null;
  }
  const ok = await db.read.value(`SELECT ${exists} AS ok`, [mailboxId, uid]);
  return Number(ok) === 1 ? { hash, size, whole: null } : null;
}

/** The body's octets in order, one piece of at most READ_CHUNK at a time. */
export async function* bodyChunks(db: Db, m: StoredMessage): AsyncGenerator<Uint8Array> {
  if (m.whole) {
    yield m.whole;
    return;
  }
  for (let off = 0; off < m.size; off += READ_CHUNK) {
    const c = bytes(await db.read.value("SELECT substr(content, ?, ?) AS c FROM bodies WHERE hash = ?", [off + 1, READ_CHUNK, m.hash]));
    // Bodies are immutable and never removed while referenced; a vanished one is a bug.
    if (!c || c.length === 0) throw new Error(`body ${m.hash} vanished while being read`);
    yield c;
  }
}

/**
 * Bodies by hash for sizing, small ones batched (up to READ_CHUNK octets per query), each
 * large one alone in slices. Calls `onChunk` for every piece and `onEnd` once per body.
 */
export async function scanBodies(
  db: Db,
  list: readonly { hash: string; size: number }[],
  onChunk: (hash: string, chunk: Uint8Array) => void,
  onEnd: (hash: string) => void,
): Promise<void> {
  const small = list.filter((b) => b.size <= READ_CHUNK);
  for (let i = 0; i < small.length; ) {
    const batch: string[] = [];
    for (let bytes = 0; i < small.length && (batch.length === 0 || bytes + small[i].size <= READ_CHUNK); i++) {
      batch.push(small[i].hash);
      bytes += small[i].size;
    }
    const rows = await db.read.all("SELECT hash, content FROM bodies WHERE hash IN (SELECT value FROM json_each(?))", [JSON.stringify(batch)]);
    for (const r of rows) {
      const hash = String(r[0]);
      onChunk(hash, bytes(r[1]) ?? new Uint8Array(0));
      onEnd(hash);
    }
  }
  for (const b of list) {
    if (b.size <= READ_CHUNK) continue;
    for await (const c of bodyChunks(db, { hash: b.hash, size: b.size, whole: null })) onChunk(b.hash, c);
    onEnd(b.hash);
  }
}

export type Wanted = { readonly uid: number; readonly hash: string; readonly size: number };

/**
 * Clients RETR 1, 2, 3 … in order (fetchmail, getmail, phones), so a small message is read
 * with the next few after it in one query, and those are served from here: one statement
 * per batch instead of one per message. At most AHEAD_BYTES are held. Messages expunged
 * meanwhile (the hub reports it) are dropped and answer as gone.
 */
export class ReadAhead {
  readonly #cache = new Map<number, Uint8Array>();
  readonly #gone = new Set<number>();
  #held = 0;

  constructor(private readonly db: Db, private readonly mailboxId: number) {}

  expunged(uids: readonly number[]): void {
    for (const u of uids) {
      this.#gone.add(u);
      this.#take(u);
    }
  }

  #take(uid: number): Uint8Array | undefined {
    const b = this.#cache.get(uid);
    if (b) {
      this.#cache.delete(uid);
      this.#held -= b.length;
    }
    return b;
  }

  /** Message `want`, reading `next` (the messages likely asked for after it) along. */
  async find(want: Wanted, next: readonly Wanted[]): Promise<StoredMessage | null> {
    if (this.#gone.has(want.uid)) return null;
    const hit = this.#take(want.uid);
    if (hit) return { hash: want.hash, size: want.size, whole: hit };
    if (want.size > READ_CHUNK) return findMessage(this.db, this.mailboxId, want.uid, want.hash, want.size);
    const batch = [want.uid];
    let total = want.size;
    for (const n of next) {
      if (batch.length >= AHEAD_MESSAGES || this.#held + total + n.size > AHEAD_BYTES) break;
      if (this.#gone.has(n.uid) || this.#cache.has(n.uid) || n.size > READ_CHUNK) continue;
      batch.push(n.uid);
      total += n.size;
    }
    if (batch.length === 1) return findMessage(this.db, this.mailboxId, want.uid, want.hash, want.size);
    // Joined through mailbox_messages: only messages still in the mailbox come back.
    const rows = await this.db.read.all(
      "SELECT m.uid, b.content FROM mailbox_messages m JOIN bodies b ON b.hash = m.body_hash WHERE m.mailbox_id = ? AND m.uid IN (SELECT value FROM json_each(?))",
      [this.mailboxId, JSON.stringify(batch)],
    );
    let found: Uint8Array | null = null;
    for (const r of rows) {
      const uid = Number(r[0]);
      const body = bytes(r[1]);
      if (!body) continue;
      if (uid === want.uid) found = body;
      else {
        this.#cache.set(uid, body);
        this.#held += body.length;
      }
    }
    return found ? { hash: want.hash, size: want.size, whole: found } : null;
  }
}
