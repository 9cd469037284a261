// Opening a maildrop (RFC 1939 §4, §8): lock the account's INBOX for this POP3 session and
// fix its message list, with sizes as transmitted and the IMAP identity for UIDL.

import type { Db } from "../db/client.ts";
import type { MaildropResult } from "../protocol/pop3/types.ts";
import { SizeCounter } from "../protocol/pop3/message-encoder.ts";
import { findAccount } from "../store/accounts.ts";
import { listUids, type MessageSummary } from "../store/imap-messages.ts";
import { mailboxByName } from "../store/imap-status.ts";
import { scanBodies } from "./body-reader.ts";
import type { Pop3Shared, SizeCache } from "./shared.ts";

export async function openMaildrop(db: Db, shared: Pop3Shared, address: string, owner: string): Promise<MaildropResult> {
  const account = await findAccount(db, address);
  if (!account) return { ok: false, reason: "error" };
  if (!shared.locks.acquire(account.id, owner)) return { ok: false, reason: "in-use" };
  try {
    const inbox = await mailboxByName(db, account.id, "INBOX", { counts: false });
    if (!inbox) {
      shared.locks.release(owner);
      return { ok: false, reason: "no-mailbox" };
    }
    const list = await listUids(db, inbox.id);
    const sizes = await transmittedSizes(db, shared.sizes, list);
    return {
      ok: true,
      maildrop: {
        mailboxId: inbox.id,
        uidValidity: inbox.uidValidity,
        messages: list.map((m) => ({ uid: m.uid, size: sizes.get(m.bodyHash) ?? m.size, storedSize: m.size, bodyHash: m.bodyHash, deleted: false, retrieved: false })),
      },
    };
  } catch (e) {
    shared.locks.release(owner);
    throw e;
  }
}

/**
 * Sizes as POP3 transmits them. A body stored with CRLF everywhere has its stored size; any
 * other (bare LF from BDAT or an import, no final CRLF) differs, and only reading it tells.
 * Each body is read once per process: the cache keeps the answer by hash.
 */
export async function transmittedSizes(db: Db, cache: SizeCache, list: readonly MessageSummary[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const missing: { hash: string; size: number }[] = [];
  for (const m of list) {
    if (out.has(m.bodyHash)) continue;
    const v = cache.get(m.bodyHash);
    out.set(m.bodyHash, v ?? m.size);
    if (v === undefined) missing.push({ hash: m.bodyHash, size: m.size });
  }
  const counters = new Map<string, SizeCounter>();
  await scanBodies(
    db,
    missing,
    (hash, chunk) => {
      let c = counters.get(hash);
      if (!c) counters.set(hash, (c = new SizeCounter()));
      c.push(chunk);
    },
    (hash) => {
      const size = counters.get(hash)?.size ?? 0;
      counters.delete(hash);
      cache.set(hash, size);
      out.set(hash, size);
    },
  );
  return out;
}
