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
// One instance: thrown once per message that needs content, so no stack is captured each time.
const NEED_CONTENT = new NeedContent();

const NO_CONTENT: SearchContent = {
  header: () => {
    throw NEED_CONTENT;
  },
  headerText: () => {
    throw NEED_CONTENT;
  },
  bodyText: () => {
    throw NEED_CONTENT;
  },
  sentDate: () => {
    throw NEED_CONTENT;
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
    // First pass on metadata alone; the messages whose outcome depends on content wait.
    const pending: { m: MessageMeta; base: MessageMetaView }[] = [];
    for (const m of metas) {
      const seq = view.seqOf(m.uid);
      if (seq === 0) continue;
      const base = { seq, uid: m.uid, flags: m.flags, internalDate: m.internalDate, size: m.size, modseq: m.modseq, recent: view.recent.has(m.uid) };
      try {
        if (evaluate(key, { ...base, ...NO_CONTENT }, ctx)) out.push({ seq, uid: m.uid, modseq: m.modseq });
      } catch (err) {
        if (!(err instanceof NeedContent)) throw err;
        pending.push({ m, base });
      }
    }
    // Header blocks are small: one query per HEADER_BATCH messages. Whole bodies (BODY/TEXT
    // keys) are read one at a time so memory stays bounded by one message.
    for (let j = 0; j < pending.length; j += HEADER_BATCH) {
      const slice = pending.slice(j, j + HEADER_BATCH);
      const heads = whole ? null : await headerBlocks(db, slice.map((p) => p.m.bodyHash));
      for (const { m, base } of slice) {
        let content: SearchContent = EMPTY;
        if (heads) {
          const h = heads.get(m.bodyHash);
          if (h) content = searchContent({ raw: () => h.raw, parsed: () => h.parsed });
        } else {
          const loaded = await wholeMessage(db, m.bodyHash);
          if (loaded) content = contentOf(loaded);
        }
        if (evaluate(key, { ...base, ...content } satisfies SearchMessage, ctx)) out.push({ seq: base.seq, uid: m.uid, modseq: m.modseq });
      }
    }
  }
  return out.sort((a, b) => a.uid - b.uid);
}

type MessageMetaView = { seq: number; uid: number; flags: string[]; internalDate: number; size: number; modseq: number; recent: boolean };

const HEADER_BATCH = 100;

function contentOf(loaded: { raw: Uint8Array; mime: string }): SearchContent {
  let parsed: ParsedMessage | null = null;
  return searchContent({ raw: () => loaded.raw, parsed: () => (parsed ??= JSON.parse(loaded.mime) as ParsedMessage) });
}

const EMPTY: SearchContent = { header: () => [], headerText: () => "", bodyText: () => "", sentDate: () => null };

async function wholeMessage(db: Db, hash: string): Promise<{ raw: Uint8Array; mime: string } | null> {
  const b = await getBody(db, hash);
  return b ? { raw: b.content, mime: b.mime } : null;
}

/**
 * Only the top-level header fields (raw[0, root.headerEnd)), cut in SQL for many messages in
 * one query: a header search over a mailbox full of attachments reads kilobytes per message.
 * The stored MIME JSON is not read whole: a header key needs the header's extent and, for
 * SENT* keys, the Date — both extracted in SQL.
 */
async function headerBlocks(db: Db, hashes: readonly string[]): Promise<Map<string, { raw: Uint8Array; parsed: ParsedMessage }>> {
  const unique = [...new Set(hashes)];
  const res = await db.client.execute({
    sql:
      "SELECT hash, json_extract(mime, '$.root.headerEnd') AS he, json_extract(mime, '$.envelope.date') AS ed, json_extract(mime, '$.date') AS d, " +
      `substr(content, 1, json_extract(mime, '$.root.headerEnd')) AS head FROM bodies WHERE hash IN (${unique.map(() => "?").join(",")})`,
    args: unique,
  });
  const out = new Map<string, { raw: Uint8Array; parsed: ParsedMessage }>();
  for (const row of res.rows) {
    const head = row.head;
    const raw = head instanceof ArrayBuffer ? new Uint8Array(head) : ArrayBuffer.isView(head) ? new Uint8Array(head.buffer, head.byteOffset, head.byteLength) : new TextEncoder().encode(String(head ?? ""));
    // Just what searchContent reads for header keys: the root's header extent and the dates.
    const parsed = {
      root: { headerStart: 0, headerEnd: Number(row.he ?? raw.length) },
      envelope: { date: row.ed === null || row.ed === undefined ? null : String(row.ed) },
      date: row.d === null || row.d === undefined ? null : String(row.d),
    } as unknown as ParsedMessage;
    out.set(String(row.hash), { raw, parsed });
  }
  return out;
}
