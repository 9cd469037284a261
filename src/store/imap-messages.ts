// Message reads for a selected mailbox: the UID list a session builds its sequence-number
// map from (RFC 9051 §2.3.1.2), and per-message FETCH metadata without the body bytes.

import type { InValue } from "@libsql/client";
import type { Db } from "../db/client.ts";
import type { ParsedMessage } from "../protocol/mime/types.ts";
import { systemFlagTest, uidFilter } from "./imap-sql.ts";

export type MessageSummary = {
  uid: number;
  flags: string[];
  modseq: number;
  /** INTERNALDATE, ms since the epoch. */
  internalDate: number;
  /** RFC822.SIZE in octets. */
  size: number;
  bodyHash: string;
};

export type MessageMeta = MessageSummary & {
  /** The MIME structure parsed at delivery (ENVELOPE, BODYSTRUCTURE, part offsets), if asked for. */
  mime?: ParsedMessage;
  /** With `head`: the top-level header block raw[0, root.bodyStart) and the root's header offsets. */
  head?: { bytes: Uint8Array; headerStart: number; headerEnd: number; bodyStart: number };
};

/** Columns 0-5: uid, flags, modseq, internal_date, size, body_hash. */
function summary(r: readonly unknown[]): MessageSummary {
  return {
    uid: Number(r[0]),
    flags: JSON.parse(String(r[1])) as string[],
    modseq: Number(r[2]),
    internalDate: Number(r[3]),
    size: Number(r[4]),
    bodyHash: String(r[5]),
  };
}

/**
 * Every message of the mailbox, ascending by UID. The rows come back as ONE JSON array
 * aggregated in SQL and parsed once: for 10k messages that is about half the time of
 * materialising 10k driver row objects and parsing each row's flags separately.
 */
export async function listUids(db: Db, mailboxId: number): Promise<MessageSummary[]> {
  const j = await db.read.value(
    "SELECT json_group_array(json_array(uid, json(flags), modseq, internal_date, size, body_hash)) AS j " +
      "FROM (SELECT uid, flags, modseq, internal_date, size, body_hash FROM mailbox_messages WHERE mailbox_id = ? ORDER BY uid)",
    [mailboxId],
  );
  const rows = JSON.parse(String(j ?? "[]")) as [number, string[], number, number, number, string][];
  const out = rows.map(([uid, flags, modseq, internalDate, size, bodyHash]) => ({ uid, flags, modseq, internalDate, size, bodyHash }));
  // Aggregate order follows the ordered subquery in SQLite, but that is not a documented promise.
  for (let i = 1; i < out.length; i++) {
    if (out[i - 1].uid > out[i].uid) return out.sort((a, b) => a.uid - b.uid);
  }
  return out;
}

/** A BLOB column value as a plain Uint8Array (a view, not a copy; db.read gives Node Buffers). */
export function blobBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v.constructor === Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return typeof v === "string" ? new TextEncoder().encode(v) : new Uint8Array(0);
}

/**
 * FETCH metadata for the listed UIDs that still exist, ascending; `mime` joins the body's
 * parse; `head` joins the top-level header block cut in SQL (BODY[HEADER.FIELDS …] needs no
 * more: neither the MIME JSON in JS nor one query per message).
 */
export async function getMessages(db: Db, mailboxId: number, uids: readonly number[], opts: { mime?: boolean; head?: boolean } = {}): Promise<MessageMeta[]> {
  if (uids.length === 0) return [];
  const f = uidFilter(uids, "uids", "m.uid");
  const join = opts.mime || opts.head;
  if (!join) return summaries(db, mailboxId, f);
  const rows = await db.read.all(
    `SELECT m.uid, m.flags, m.modseq, m.internal_date, m.size, m.body_hash${opts.mime ? ", b.mime" : ", NULL"}` +
      `${opts.head ? ", json_extract(b.mime, '$.root.headerStart') AS hs, json_extract(b.mime, '$.root.headerEnd') AS he, json_extract(b.mime, '$.root.bodyStart') AS bs, substr(b.content, 1, json_extract(b.mime, '$.root.bodyStart')) AS head" : ""} ` +
      `FROM mailbox_messages m${join ? " JOIN bodies b ON b.hash = m.body_hash" : ""} ` +
      `WHERE m.mailbox_id = :mbx${f.sql} ORDER BY m.uid`,
    { mbx: mailboxId, ...f.args },
  );
  // Columns 6 (mime or NULL), then with `head` 7-10: hs, he, bs, head.
  return rows.map((r) => {
    const m: MessageMeta = summary(r);
    if (opts.mime) m.mime = JSON.parse(String(r[6])) as ParsedMessage;
    if (opts.head) m.head = { bytes: blobBytes(r[10]), headerStart: Number(r[7] ?? 0), headerEnd: Number(r[8] ?? 0), bodyStart: Number(r[9] ?? 0) };
    return m;
  });
}

/** The UIDs in [from, to], ascending, read from the (mailbox_id, uid) index alone. */
export async function uidsInRange(db: Db, mailboxId: number, from: number, to: number): Promise<number[]> {
  const u = await db.read.value(
    "SELECT group_concat(uid) AS u FROM (SELECT uid FROM mailbox_messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid)",
    [mailboxId, from, to],
  );
  if (u === null || u === undefined || u === "") return [];
  const out = String(u).split(",").map(Number);
  for (let i = 1; i < out.length; i++) {
    if (out[i - 1]! > out[i]!) return out.sort((a, b) => a - b);
  }
  return out;
}

/** Body hash of each listed UID that exists. */
export async function bodyHashes(db: Db, mailboxId: number, uids: readonly number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (uids.length === 0) return out;
  const j = await db.read.value(
    "SELECT group_concat(uid || ' ' || body_hash, ' ') AS j FROM mailbox_messages WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?))",
    [mailboxId, JSON.stringify(uids)],
  );
  if (j === null || j === undefined || j === "") return out;
  const parts = String(j).split(" ");
  for (let i = 0; i + 1 < parts.length; i += 2) out.set(Number(parts[i]), parts[i + 1]!);
  return out;
}

export type HeadBlock = NonNullable<MessageMeta["head"]>;

/** The top-level header blocks of some bodies, by hash (cut in SQL; no body bytes in JS). */
export async function headBlocks(db: Db, hashes: readonly string[]): Promise<Map<string, HeadBlock>> {
  const out = new Map<string, HeadBlock>();
  const unique = [...new Set(hashes)];
  if (unique.length === 0) return out;
  const rows = await db.read.all(
    "SELECT hash, json_extract(mime, '$.root.headerStart') AS hs, json_extract(mime, '$.root.headerEnd') AS he, json_extract(mime, '$.root.bodyStart') AS bs, " +
      "substr(content, 1, json_extract(mime, '$.root.bodyStart')) AS head FROM bodies WHERE hash IN (SELECT value FROM json_each(?))",
    [JSON.stringify(unique)],
  );
  for (const r of rows) out.set(String(r[0]), { bytes: blobBytes(r[4]), headerStart: Number(r[1] ?? 0), headerEnd: Number(r[2] ?? 0), bodyStart: Number(r[3] ?? 0) });
  return out;
}

/** Metadata only: one concatenated JSON row rather than a driver row object per message. */
async function summaries(db: Db, mailboxId: number, f: { sql: string; args: Record<string, InValue> }): Promise<MessageSummary[]> {
  const j = await db.read.value(
    `SELECT group_concat(${SUMMARY_JSON}, ',') AS j FROM ` +
      `(SELECT uid, flags, modseq, internal_date, size, body_hash FROM mailbox_messages m WHERE m.mailbox_id = :mbx${f.sql} ORDER BY m.uid)`,
    { mbx: mailboxId, ...f.args },
  );
  return parseSummaries(j);
}

/**
 * One message as a JSON array, concatenated rather than built with json_array(…, json(flags),
 * …): the flags column already holds a JSON array, so nothing is re-validated per row.
 */
const SUMMARY_JSON = "'[' || uid || ',' || flags || ',' || modseq || ',' || internal_date || ',' || size || ',\"' || body_hash || '\"]'";

function parseSummaries(j: unknown): MessageSummary[] {
  const rows = (j === null || j === undefined ? [] : JSON.parse(`[${String(j)}]`)) as [number, string[], number, number, number, string][];
  const out = rows.map(([uid, flags, modseq, internalDate, size, bodyHash]) => ({ uid, flags, modseq, internalDate, size, bodyHash }));
  // group_concat follows the ordered subquery in SQLite, but that is not a documented promise.
  for (let i = 1; i < out.length; i++) {
    if (out[i - 1]!.uid > out[i]!.uid) return out.sort((a, b) => a.uid - b.uid);
  }
  return out;
}

/**
 * Metadata of the messages with UIDs in [from, to], ascending, as ONE JSON array aggregated
 * in SQL and parsed once (a full-mailbox SEARCH: no driver row object per message).
 */
export async function summariesInRange(db: Db, mailboxId: number, from: number, to: number): Promise<MessageSummary[]> {
  const j = await db.read.value(
    `SELECT group_concat(${SUMMARY_JSON}, ',') AS j ` +
      "FROM (SELECT uid, flags, modseq, internal_date, size, body_hash FROM mailbox_messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid)",
    [mailboxId, from, to],
  );
  return parseSummaries(j);
}

/**
 * What SELECT needs and no more (RFC 9051 §6.3.2): the UIDs in order, and the first message
 * without \Seen for rev1's [UNSEEN n]. No per-message objects, so selecting a large mailbox
 * leaves little garbage behind in a long-lived idle session.
 */
export async function selectInfo(db: Db, mailboxId: number): Promise<{ ranges: [number, number][]; firstUnseenUid: number | null }> {
  // (Tried: one statement with min/max/count(*) and no UID list for a mailbox without gaps —
  // ~10 % less CPU for SELECT alone, but bench imap's idle connections then held ~2 KiB more
  // RSS each (allocator high-water, not live objects), so the UID list stays.)
  const [all, unseen] = await Promise.all([
    // The UIDs as one string, cut into runs (gaps and islands) below: a third of the cost of
    // a window function doing it in SQL, and no row object per run.
    db.read.value("SELECT group_concat(uid) AS u FROM (SELECT uid FROM mailbox_messages WHERE mailbox_id = ? ORDER BY uid)", [mailboxId]),
    // The first entry of the unseen partial index (src/db/schema/mailboxes.ts).
    db.read.value(`SELECT min(uid) AS uid FROM mailbox_messages WHERE mailbox_id = ? AND ${systemFlagTest("flags", "\\Seen", false)}`, [mailboxId]),
  ]);
  return { ranges: uidRuns(all), firstUnseenUid: unseen === null || unseen === undefined ? null : Number(unseen) };
}

/** "1,2,3,7,8" → [[1,3],[7,8]]; the list is ascending (sorted first if it is not). */
export function uidRuns(list: unknown): [number, number][] {
  if (list === null || list === undefined || list === "") return [];
  const text = String(list);
  const uids: number[] = [];
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44) {
      uids.push(n);
      n = 0;
    } else n = n * 10 + (c - 48);
  }
  uids.push(n);
  for (let i = 1; i < uids.length; i++) {
    if (uids[i - 1]! >= uids[i]!) {
      uids.sort((a, b) => a - b);
      break;
    }
  }
  const runs: [number, number][] = [];
  for (const u of uids) {
    const r = runs[runs.length - 1];
    if (r && u === r[1] + 1) r[1] = u;
    else if (!r || u !== r[1]) runs.push([u, u]);
  }
  return runs;
}
