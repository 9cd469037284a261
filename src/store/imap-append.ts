// APPEND (RFC 9051 §6.3.12) with APPENDUID (UIDPLUS, RFC 4315 §3): parse the MIME structure
// once, store the body content-addressed, allocate the UID — all in one durable op.

import type { Db } from "../db/client.ts";
import type { InValue } from "@libsql/client";
import { parseMime } from "../protocol/mime/parse.ts";
import type { MailboxChange } from "./hub.ts";
import { ImapStoreError } from "./imap-errors.ts";
import { canonicalFlags } from "./imap-flags.ts";
import { validateMailboxName } from "./imap-names.ts";
import { hashBody } from "./messages.ts";

/** Default APPENDLIMIT (RFC 7889) when the caller has no configured one. */
export const DEFAULT_APPEND_LIMIT = 50 * 1024 * 1024;

export type AppendResult = { mailboxId: number; uidValidity: number; uid: number; modseq: number; changes: MailboxChange[] };

/**
 * Appends `raw` to a mailbox of `accountId`, named or by id. Over `maxSize` → TOOBIG before
 * anything is parsed or written; a missing mailbox → TRYCREATE (and no body is stored).
 * `internalDate` in ms since the epoch (default now). \Recent in `flags` is ignored.
 */
export async function appendMessage(
  db: Db,
  accountId: number,
  mailbox: string | number,
  raw: Uint8Array,
  flags: readonly string[] = [],
  internalDate: number | Date | null = null,
  maxSize: number = DEFAULT_APPEND_LIMIT,
): Promise<AppendResult> {
  if (raw.byteLength > maxSize) throw new ImapStoreError("TOOBIG", `message of ${raw.byteLength} octets exceeds the limit of ${maxSize}`);
  const ref: { sql: string; args: Record<string, InValue> } =
    typeof mailbox === "number"
      ? { sql: "(SELECT id FROM mailboxes WHERE id = :mid AND account_id = :acct)", args: { mid: mailbox, acct: accountId } }
      : { sql: "(SELECT id FROM mailboxes WHERE account_id = :acct AND name = :name)", args: { acct: accountId, name: validateMailboxName(mailbox) } };
  const date = internalDate === null ? Date.now() : typeof internalDate === "number" ? internalDate : internalDate.getTime();
  const args: Record<string, InValue> = {
    ...ref.args,
    hash: hashBody(raw),
    raw,
    size: raw.byteLength,
    mime: JSON.stringify(parseMime(raw)),
    flags: JSON.stringify(canonicalFlags(flags)),
    date,
    now: Date.now(),
  };
  const res = await db.writer.write([
    // Guarded, so an APPEND to a missing mailbox leaves no orphan body behind.
    {
      sql: `INSERT OR IGNORE INTO bodies (hash, size, content, mime, created_at) SELECT :hash, :size, :raw, :mime, :now WHERE ${ref.sql} IS NOT NULL`,
      args,
    },
    {
      sql:
        `UPDATE mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1 WHERE id = ${ref.sql} ` +
        "RETURNING id, uidvalidity, uid_next - 1 AS uid, highest_modseq",
      args,
    },
    {
      sql:
        "INSERT INTO mailbox_messages (mailbox_id, uid, body_hash, flags, modseq, internal_date, size, queue_id, created_at) " +
        `SELECT id, uid_next - 1, :hash, :flags, highest_modseq, :date, :size, NULL, :now FROM mailboxes WHERE id = ${ref.sql}`,
      args,
    },
  ]);
  const row = res[1].rows[0];
  if (!row) throw new ImapStoreError("TRYCREATE", `mailbox ${JSON.stringify(mailbox)} does not exist`);
  const mailboxId = Number(row.id);
  const uid = Number(row.uid);
  const modseq = Number(row.highest_modseq);
  return { mailboxId, uidValidity: Number(row.uidvalidity), uid, modseq, changes: [{ mailboxId, kind: "exists", uids: [uid], modseq }] };
}
