// Runs a SEARCH key over the messages a session knows (RFC 9051 §6.4.4): metadata in batches,
// message content only when a key needs it, one message at a time so memory stays bounded.

import type { Db } from "../db/client.ts";
import type { SearchKey } from "../protocol/imap/types.ts";
import type { ParsedMessage } from "../protocol/mime/types.ts";
import { evaluate, needsBody, type SearchContext, type SearchMessage } from "../protocol/imap/search-eval.ts";
import { searchContent, type SearchContent } from "../protocol/imap/search-text.ts";
import { getMessages, type MessageMeta } from "../store/imap-messages.ts";
import { getBody } from "../store/messages.ts";
import type { MailboxView } from "../protocol/imap/view.ts";

export type SearchMatch = { readonly seq: number; readonly uid: number; readonly modseq: number };

const BATCH = 500;

/** Thrown by the content stub: the key reached a header/body test for this message. */
class NeedContent extends Error {}

const NO_CONTENT: SearchContent = {
  header: () => {
    throw new NeedContent();
  },
  headerText: () => {
    throw new NeedContent();
  },
  bodyText: () => {
    throw new NeedContent();
  },
  sentDate: () => {
    throw new NeedContent();
  },
};

export type SearchInput = {
  readonly db: Db;
  readonly mailboxId: number;
  readonly view: MailboxView;
  /** UIDs `$` names (RFC 5182 §2.1). */
  readonly saved: readonly number[] | null;
  readonly key: SearchKey;
};

/**
 * The matching messages, ascending. Each message is first tested on its metadata alone; only
 * when the outcome depends on a header or the body (e.g. `UNSEEN BODY x` on an unseen
 * message) is its content loaded — the header block alone unless BODY/TEXT is used.
 */
export async function runSearch(input: SearchInput): Promise<SearchMatch[]> {
  const { db, mailboxId, view, key } = input;
  const uids = view.uids;
  const ctx: SearchContext = {
    maxSeq: uids.length,
    maxUid: uids.length > 0 ? uids[uids.length - 1] : 0,
    saved: input.saved ? new Set(input.saved) : null,
  };
  const whole = needsBody(key);
  const out: SearchMatch[] = [];
  for (let i = 0; i < uids.length; i += BATCH) {
    // Messages expunged by another session but not yet announced are not found here and so
    // never match (RFC 9051 §7.5.1 lets them be omitted).
    const metas = await getMessages(db, mailboxId, uids.slice(i, i + BATCH));
    for (const m of metas) {
      const seq = view.seqOf(m.uid);
      if (seq === 0) continue;
      const base = { seq, uid: m.uid, flags: m.flags, internalDate: m.internalDate, size: m.size, modseq: m.modseq, recent: view.recent.has(m.uid) };
      let hit: boolean;
      try {
        hit = evaluate(key, { ...base, ...NO_CONTENT }, ctx);
      } catch (err) {
        if (!(err instanceof NeedContent)) throw err;
        hit = evaluate(key, { ...base, ...(await loadContent(db, m, whole)) } satisfies SearchMessage, ctx);
      }
      if (hit) out.push({ seq, uid: m.uid, modseq: m.modseq });
    }
  }
  return out;
}

/** The message's searchable content: the whole message, or only its header block. */
async function loadContent(db: Db, m: MessageMeta, whole: boolean): Promise<SearchContent> {
  const loaded = whole ? await wholeMessage(db, m.bodyHash) : await headerBlock(db, m.bodyHash);
  if (!loaded) return EMPTY;
  const parsed = JSON.parse(loaded.mime) as ParsedMessage;
  return searchContent({ raw: () => loaded.raw, parsed: () => parsed });
}

const EMPTY: SearchContent = { header: () => [], headerText: () => "", bodyText: () => "", sentDate: () => null };

async function wholeMessage(db: Db, hash: string): Promise<{ raw: Uint8Array; mime: string } | null> {
  const b = await getBody(db, hash);
  return b ? { raw: b.content, mime: b.mime } : null;
}

/**
 * Only the top-level header fields (raw[0, root.headerEnd)), cut in SQL: a header search over
 * a mailbox full of attachments reads kilobytes per message, not megabytes.
 */
async function headerBlock(db: Db, hash: string): Promise<{ raw: Uint8Array; mime: string } | null> {
  const res = await db.client.execute({
    sql: "SELECT mime, substr(content, 1, json_extract(mime, '$.root.headerEnd')) AS head FROM bodies WHERE hash = ?",
    args: [hash],
  });
  const row = res.rows[0];
  if (!row) return null;
  const head = row.head;
  const raw = head instanceof ArrayBuffer ? new Uint8Array(head) : ArrayBuffer.isView(head) ? new Uint8Array(head.buffer, head.byteOffset, head.byteLength) : new TextEncoder().encode(String(head ?? ""));
  return { raw, mime: String(row.mime) };
}
