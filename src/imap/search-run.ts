// Runs a SEARCH key over the messages a session knows (RFC 9051 §6.4.4): keys on stored columns
// as SQL, otherwise metadata in batches and message content only when a key needs it, one
// message at a time so memory stays bounded; header values by name from a bounded cache.

import type { Db } from "../db/client.ts";
import type { SearchKey } from "../protocol/imap/types.ts";
import type { ParsedMessage } from "../protocol/mime/types.ts";
import { evaluate, needsBody, type SearchContext, type SearchMessage } from "../protocol/imap/search-eval.ts";
import { searchContent, type SearchContent } from "../protocol/imap/search-text.ts";
import { bodyHashes, summariesInRange, uidsInRange, type MessageSummary } from "../store/imap-messages.ts";
import { matchingInRange, searchCondition } from "../store/imap-search-sql.ts";
import { messageKey, perDatabase } from "./body-cache.ts";
import { getBody } from "../store/messages.ts";
import type { MailboxView } from "../protocol/imap/view.ts";

export type SearchMatch = { readonly seq: number; readonly uid: number; readonly modseq: number };

/** Messages per metadata read (one aggregated JSON row each). */
const BATCH = 2000;

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
  /**
   * Whether matches need their MODSEQ (the key uses MODSEQ, RFC 7162 §3.1.5); default true.
   * Without it the SQL path reads UIDs only and reports modseq 0.
   */
  readonly modseq?: boolean;
};

/**
 * The matching messages, ascending. A key on stored columns only (flags, size, dates, MODSEQ)
 * runs as SQL. Otherwise each message is first tested on its metadata alone; only when the
 * outcome depends on a header or the body (e.g. `UNSEEN BODY x` on an unseen message) is its
 * content loaded — the header block alone unless BODY/TEXT is used — and header values by
 * name come from a cache keyed by the (immutable) body.
 */
export async function runSearch(input: SearchInput): Promise<SearchMatch[]> {
  const { db, mailboxId, view, key } = input;
  const uids = view.uids;
  const ctx: SearchContext = {
    maxSeq: uids.length,
    maxUid: uids.length > 0 ? uids[uids.length - 1] : 0,
    saved: input.saved ? new Set(input.saved) : null,
  };
  const out: SearchMatch[] = [];
  const cond = searchCondition(key);
  const whole = needsBody(key);
  const fields = headerFieldsOnly(key);
  // Header keys joined by AND/OR/NOT only: every message needs its header values anyway.
  const onlyHeaders = headerPredicate(key);
  for (let i = 0; i < uids.length; i += BATCH) {
    // Messages expunged by another session but not yet announced are not found here and so
    // never match (RFC 9051 §7.5.1 lets them be omitted). The range may also hold messages the
    // session has not been told of yet: seqOf() is 0 for them and they are skipped.
    const lo = uids[i]!;
    const hi = uids[Math.min(uids.length, i + BATCH) - 1]!;
    if (cond) {
      for (const [uid, modseq] of await matchingInRange(db, mailboxId, lo, hi, cond, input.modseq ?? true)) {
        const seq = view.seqOf(uid);
        if (seq > 0) out.push({ seq, uid, modseq });
      }
      continue;
    }
    if (fields !== null && onlyHeaders !== null) {
      // Nothing to decide on metadata: straight to the header values (a first pass would
      // throw NeedContent for every message). Which messages exist comes from the UID index
      // alone; body hashes are read only for messages whose values are not cached. MODSEQ is
      // not read: a key without MODSEQ never reports it (RFC 7162 §3.1.5).
      const all: Pending[] = [];
      for (const uid of await uidsInRange(db, mailboxId, lo, hi)) {
        const seq = view.seqOf(uid);
        if (seq > 0) all.push({ m: { uid, modseq: 0, bodyHash: "", flags: NO_FLAGS, internalDate: 0, size: 0 }, seq, recent: view.recent.has(uid) });
      }
      await searchHeaderValues(db, mailboxId, key, ctx, fields, all, out, onlyHeaders);
      continue;
    }
    const metas = await summariesInRange(db, mailboxId, lo, hi);
    // First pass on metadata alone; the messages whose outcome depends on content wait.
    const pending: Pending[] = [];
    for (const m of metas) {
      const seq = view.seqOf(m.uid);
      if (seq === 0) continue;
      const recent = view.recent.has(m.uid);
      try {
        if (evaluate(key, message(seq, m, recent, NO_CONTENT), ctx)) out.push({ seq, uid: m.uid, modseq: m.modseq });
      } catch (err) {
        if (!(err instanceof NeedContent)) throw err;
        pending.push({ m, seq, recent });
      }
    }
    if (fields !== null) {
      await searchHeaderValues(db, mailboxId, key, ctx, fields, pending, out);
      continue;
    }
    // Header blocks are small: one query per HEADER_BATCH messages. Whole bodies (BODY/TEXT
    // keys) are read one at a time so memory stays bounded by one message.
    for (let j = 0; j < pending.length; j += HEADER_BATCH) {
      const slice = pending.slice(j, j + HEADER_BATCH);
      const heads = whole ? null : await headerBlocks(db, slice.map((p) => p.m.bodyHash));
      for (const { m, seq, recent } of slice) {
        let content: SearchContent = EMPTY;
        if (heads) {
          const h = heads.get(m.bodyHash);
          if (h) content = searchContent({ raw: () => h.raw, parsed: () => h.parsed });
        } else {
          const loaded = await wholeMessage(db, m.bodyHash);
          if (loaded) content = contentOf(loaded);
        }
        if (evaluate(key, message(seq, m, recent, content), ctx)) out.push({ seq, uid: m.uid, modseq: m.modseq });
      }
    }
  }
  return out.sort((a, b) => a.uid - b.uid);
}

type Pending = { m: MessageSummary; seq: number; recent: boolean };

const NO_FLAGS: string[] = [];

/** One object per test, no spreads: a SEARCH touches every message of the mailbox. */
function message(seq: number, m: MessageSummary, recent: boolean, c: SearchContent): SearchMessage {
  return {
    seq,
    uid: m.uid,
    flags: m.flags,
    internalDate: m.internalDate,
    size: m.size,
    modseq: m.modseq,
    recent,
    header: c.header,
    headerText: c.headerText,
    bodyText: c.bodyText,
    sentDate: c.sentDate,
  };
}

/**
 * Keys that read header fields by name only (FROM, TO, CC, BCC, SUBJECT, HEADER): the field
 * names, lower-cased; null when the key also needs the whole header, the body or the Date.
 */
export function headerFieldsOnly(key: SearchKey): Set<string> | null {
  const names = new Set<string>();
  let ok = true;
  const walk = (k: SearchKey): void => {
    switch (k.kind) {
      case "bcc":
      case "cc":
      case "from":
      case "subject":
      case "to":
        names.add(k.kind);
        return;
      case "header":
        names.add(k.field.toLowerCase());
        return;
      case "body":
      case "text":
      case "sentbefore":
      case "senton":
      case "sentsince":
        ok = false;
        return;
      case "not":
        return walk(k.key);
      case "or":
        walk(k.a);
        return walk(k.b);
      case "and":
        for (const x of k.keys) walk(x);
        return;
      default:
        return;
    }
  };
  walk(key);
  return ok ? names : null;
}

/**
 * Decoded header values by message (messageKey: mailbox id and UID) and field name; never
 * stale (see body-cache.ts). Repeated header searches (a client's SUBJECT/FROM box) then touch
 * neither the bodies nor the parser. Keyed by one number: a Map lookup on a 64-character hash
 * string cost more than the rest of the search. Bounded by messages; the oldest go first.
 */
export class HeaderValueCache {
  readonly #map = new Map<number, Map<string, readonly string[]>>();
  constructor(readonly maxMessages: number) {}

  /** The cached fields of one message (a live map: do not keep it). */
  of(key: number): ReadonlyMap<string, readonly string[]> | undefined {
    return this.#map.get(key);
  }

  set(key: number, field: string, values: readonly string[]): void {
    let m = this.#map.get(key);
    if (!m) {
      this.#map.set(key, (m = new Map()));
      if (this.#map.size > this.maxMessages) this.#map.delete(this.#map.keys().next().value!);
    }
    m.set(field, values);
  }

  get size(): number {
    return this.#map.size;
  }

  clear(): void {
    this.#map.clear();
  }
}

/** 50k messages with a subject or two each (~250 bytes): some 12 MiB at most. */
export const headerValueCache = perDatabase(() => new HeaderValueCache(50_000));

type HeaderValues = ReadonlyMap<string, readonly string[]>;

/**
 * A key made of header keys only (FROM, TO, CC, BCC, SUBJECT, HEADER under AND/OR/NOT) as a
 * predicate over one message's cached values, which are stored lower-cased: the needles are
 * folded once per search instead of once per message, and no per-message SearchMessage is
 * built. Same rule as search-eval's headerMatch (case-insensitive substring of any value of
 * the field, RFC 9051 §6.4.4); null for any other key.
 */
export function headerPredicate(key: SearchKey): ((values: HeaderValues) => boolean) | null {
  switch (key.kind) {
    case "bcc":
    case "cc":
    case "from":
    case "subject":
    case "to":
      return fieldContains(key.kind, key.value.toLowerCase());
    case "header":
      return fieldContains(key.field.toLowerCase(), key.value.toLowerCase());
    case "not": {
      const inner = headerPredicate(key.key);
      return inner && ((v) => !inner(v));
    }
    case "or": {
      const a = headerPredicate(key.a);
      const b = headerPredicate(key.b);
      return a && b && ((v) => a(v) || b(v));
    }
    case "and": {
      const all = key.keys.map(headerPredicate);
      if (all.length === 0 || all.some((x) => x === null)) return null;
      const preds = all as ((values: HeaderValues) => boolean)[];
      return (v) => {
        for (const p of preds) if (!p(v)) return false;
        return true;
      };
    }
    default:
      return null;
  }
}

function fieldContains(field: string, needle: string): (values: HeaderValues) => boolean {
  return (values) => {
    const vs = values.get(field);
    if (vs === undefined) return false;
    for (const v of vs) if (v.includes(needle)) return true;
    return false;
  };
}

async function searchHeaderValues(db: Db, mailboxId: number, key: SearchKey, ctx: SearchContext, fields: ReadonlySet<string>, pending: readonly Pending[], out: SearchMatch[], predicate: ((values: HeaderValues) => boolean) | null = null): Promise<void> {
  const cache = headerValueCache(db);
  const missing: Pending[] = [];
  const test = (p: Pending, values: HeaderValues) => {
    let hit: boolean;
    if (predicate) hit = predicate(values);
    else {
      const content: SearchContent = { header: (name) => values.get(name.toLowerCase()) ?? [], headerText: EMPTY.headerText, bodyText: EMPTY.bodyText, sentDate: EMPTY.sentDate };
      hit = evaluate(key, message(p.seq, p.m, p.recent, content), ctx);
    }
    if (hit) out.push({ seq: p.seq, uid: p.m.uid, modseq: p.m.modseq });
  };
  const complete = (values: ReadonlyMap<string, readonly string[]> | undefined): values is ReadonlyMap<string, readonly string[]> => {
    if (!values) return false;
    for (const f of fields) if (!values.has(f)) return false;
    return true;
  };
  for (const p of pending) {
    const values = cache.of(messageKey(mailboxId, p.m.uid));
    if (complete(values)) test(p, values);
    else missing.push(p);
  }
  for (let j = 0; j < missing.length; j += HEADER_BATCH) {
    let slice = missing.slice(j, j + HEADER_BATCH);
    if (slice.some((p) => p.m.bodyHash === "")) {
      const hashes = await bodyHashes(db, mailboxId, slice.map((p) => p.m.uid));
      // A message expunged meanwhile has no hash any more: it is left out, as it would have
      // been had the expunge come first.
      slice = slice.flatMap((p) => {
        const h = p.m.bodyHash || hashes.get(p.m.uid);
        return h ? [{ ...p, m: { ...p.m, bodyHash: h } }] : [];
      });
      if (slice.length === 0) continue;
    }
    const heads = await headerBlocks(db, slice.map((p) => p.m.bodyHash), false);
    for (const p of slice) {
      const h = heads.get(p.m.bodyHash);
      const values = new Map<string, readonly string[]>();
      if (h) {
        const content = searchContent({ raw: () => h.raw, parsed: () => h.parsed });
        for (const f of fields) {
          // Kept case-folded: search-eval folds every value it compares (fold() is
          // toLowerCase, which gives the same string again), so a warm search folds nothing new.
          const v = content.header(f).map((x) => x.toLowerCase());
          values.set(f, v);
          cache.set(messageKey(mailboxId, p.m.uid), f, v);
        }
      }
      test(p, values);
    }
  }
}

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
async function headerBlocks(db: Db, hashes: readonly string[], dates = true): Promise<Map<string, { raw: Uint8Array; parsed: ParsedMessage }>> {
  const unique = [...new Set(hashes)];
  const rows = await db.read.all(
    `SELECT hash, json_extract(mime, '$.root.headerEnd') AS he, ${dates ? "json_extract(mime, '$.envelope.date') AS ed, json_extract(mime, '$.date') AS d" : "NULL AS ed, NULL AS d"}, ` +
      `substr(content, 1, json_extract(mime, '$.root.headerEnd')) AS head FROM bodies WHERE hash IN (${unique.map(() => "?").join(",")})`,
    unique,
  );
  const out = new Map<string, { raw: Uint8Array; parsed: ParsedMessage }>();
  for (const [hash, he, ed, d, head] of rows) {
    const raw = head instanceof ArrayBuffer ? new Uint8Array(head) : ArrayBuffer.isView(head) ? new Uint8Array(head.buffer, head.byteOffset, head.byteLength) : new TextEncoder().encode(String(head ?? ""));
    // Just what searchContent reads for header keys: the root's header extent and the dates.
    const parsed = {
      root: { headerStart: 0, headerEnd: Number(he ?? raw.length) },
      envelope: { date: ed === null || ed === undefined ? null : String(ed) },
      date: d === null || d === undefined ? null : String(d),
    } as unknown as ParsedMessage;
    out.set(String(hash), { raw, parsed });
  }
  return out;
}
