// SEARCH key evaluation against one message (RFC 9051 §6.4.4, RFC 3501 §6.4.4, CONDSTORE
// RFC 7162 §3.1.5, SEARCHRES RFC 5182); needsBody/needsHeaders tell the caller what to load.

import type { SearchContent } from "./search-text.ts";
import type { SearchKey, SequenceSet } from "./types.ts";

/** The per-message data every search can use without loading the message. */
export type MessageMeta = {
  readonly seq: number;
  readonly uid: number;
  readonly flags: readonly string[];
  /** INTERNALDATE, ms since the epoch. */
  readonly internalDate: number;
  /** RFC822.SIZE. */
  readonly size: number;
  readonly modseq: bigint | number;
  readonly recent: boolean;
};

export type SearchMessage = MessageMeta & SearchContent;

export type SearchContext = {
  /** The values `*` stands for (RFC 9051 §9 seq-number): the highest sequence number and UID. */
  readonly maxSeq: number;
  readonly maxUid: number;
  /** UIDs of the saved result that "$" names (RFC 5182 §2.1); null: none saved (empty). */
  readonly saved: ReadonlySet<number> | null;
  /** Zone of internal-date comparisons, minutes east of UTC; the server uses UTC (0). */
  readonly tzOffsetMinutes?: number;
};

const DAY = 86_400_000;

/** Lower-cased haystacks, computed once per evaluate() call however many keys use them. */
type Cache = { headers?: string; body?: string };

/**
 * RFC 9051 §6.4.4: strings match as substrings, ignoring case (here: Unicode lower-casing, a
 * superset of the US-ASCII folding the RFC requires).
 */
function fold(s: string): string {
  return s.toLowerCase();
}

function hasFlag(msg: SearchMessage, flag: string): boolean {
  const f = fold(flag);
  return msg.flags.some((x) => fold(x) === f);
}

function inSet(set: SequenceSet, n: number, max: number, uid: number, ctx: SearchContext): boolean {
  if (set.kind === "saved") return ctx.saved?.has(uid) ?? false;
  for (const [a, b] of set.ranges) {
    // "*" is the largest number in use; a:b and b:a are the same range (RFC 9051 §9 seq-range).
    const x = a === Infinity ? max : a;
    const y = b === Infinity ? max : b;
    if (n >= Math.min(x, y) && n <= Math.max(x, y)) return true;
  }
  return false;
}

/** "YYYY-MM-DD" as a day number (days since the epoch); NaN when malformed. */
function dayOf(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY;
}

function compareDay(kind: "before" | "on" | "since", day: number, key: number): boolean {
  switch (kind) {
    case "before":
      return day < key;
    case "on":
      return day === key;
    case "since":
      return day >= key;
  }
}

function headerMatch(msg: SearchMessage, field: string, value: string): boolean {
  const needle = fold(value);
  return msg.header(field).some((v) => fold(v).includes(needle));
}

function headers(msg: SearchMessage, cache: Cache): string {
  return (cache.headers ??= fold(msg.headerText()));
}

function body(msg: SearchMessage, cache: Cache): string {
  return (cache.body ??= fold(msg.bodyText()));
}

function evalKey(key: SearchKey, msg: SearchMessage, ctx: SearchContext, cache: Cache): boolean {
  switch (key.kind) {
    case "all":
      return true;
    case "answered":
      return hasFlag(msg, "\\Answered");
    case "deleted":
      return hasFlag(msg, "\\Deleted");
    case "draft":
      return hasFlag(msg, "\\Draft");
    case "flagged":
      return hasFlag(msg, "\\Flagged");
    case "seen":
      return hasFlag(msg, "\\Seen");
    case "unanswered":
      return !hasFlag(msg, "\\Answered");
    case "undeleted":
      return !hasFlag(msg, "\\Deleted");
    case "undraft":
      return !hasFlag(msg, "\\Draft");
    case "unflagged":
      return !hasFlag(msg, "\\Flagged");
    case "unseen":
      return !hasFlag(msg, "\\Seen");
    // RFC 3501 §6.4.4: NEW is RECENT UNSEEN; OLD is NOT RECENT.
    case "recent":
      return msg.recent;
    case "new":
      return msg.recent && !hasFlag(msg, "\\Seen");
    case "old":
      return !msg.recent;
    case "keyword":
      return hasFlag(msg, key.flag);
    case "unkeyword":
      return !hasFlag(msg, key.flag);
    case "bcc":
    case "cc":
    case "from":
    case "subject":
    case "to":
      return headerMatch(msg, key.kind, key.value);
    // An empty value matches every message that has the field (RFC 9051 §6.4.4 HEADER).
    case "header":
      return headerMatch(msg, key.field, key.value);
    case "body":
      return body(msg, cache).includes(fold(key.value));
    case "text": {
      const needle = fold(key.value);
      return headers(msg, cache).includes(needle) || body(msg, cache).includes(needle);
    }
    // Internal date in the server's zone, time disregarded (RFC 9051 §6.4.4).
    case "before":
    case "on":
    case "since": {
      const offset = (ctx.tzOffsetMinutes ?? 0) * 60_000;
      return compareDay(key.kind, Math.floor((msg.internalDate + offset) / DAY), dayOf(key.date));
    }
    case "sentbefore":
    case "senton":
    case "sentsince": {
      const sent = msg.sentDate();
      if (sent === null) return false;
      const kind = key.kind === "sentbefore" ? "before" : key.kind === "senton" ? "on" : "since";
      return compareDay(kind, Math.floor(sent / DAY), dayOf(key.date));
    }
    case "larger":
      return msg.size > key.size;
    case "smaller":
      return msg.size < key.size;
    case "seq":
      return inSet(key.set, msg.seq, ctx.maxSeq, msg.uid, ctx);
    case "uid":
      return inSet(key.set, msg.uid, ctx.maxUid, msg.uid, ctx);
    case "not":
      return !evalKey(key.key, msg, ctx, cache);
    case "or":
      return evalKey(key.a, msg, ctx, cache) || evalKey(key.b, msg, ctx, cache);
    case "and":
      return key.keys.every((k) => evalKey(k, msg, ctx, cache));
    // RFC 7162 §3.1.5: mod-sequence at least the given value; per-flag entries use the
    // message's mod-sequence (the server keeps no per-flag values), as §3.1.5 permits.
    case "modseq":
      return BigInt(msg.modseq) >= BigInt(key.modseq);
    default:
      return unreachable(key);
  }
}

function unreachable(key: never): never {
  throw new Error(`unknown search key ${JSON.stringify(key)}`);
}

/** Whether `msg` matches `key`. */
export function evaluate(key: SearchKey, msg: SearchMessage, ctx: SearchContext): boolean {
  return evalKey(key, msg, ctx, {});
}

function some(key: SearchKey, pred: (k: SearchKey) => boolean): boolean {
  if (pred(key)) return true;
  switch (key.kind) {
    case "not":
      return some(key.key, pred);
    case "or":
      return some(key.a, pred) || some(key.b, pred);
    case "and":
      return key.keys.some((k) => some(k, pred));
    default:
      return false;
  }
}

/** BODY or TEXT: the caller must provide the raw message and its parse. */
export function needsBody(key: SearchKey): boolean {
  return some(key, (k) => k.kind === "body" || k.kind === "text");
}

const HEADER_KEYS: ReadonlySet<SearchKey["kind"]> = new Set([
  "bcc",
  "cc",
  "from",
  "subject",
  "to",
  "header",
  "text",
  "sentbefore",
  "senton",
  "sentsince",
]);

/** Header or sent-date keys: the caller must provide the header (raw) and the parse. */
export function needsHeaders(key: SearchKey): boolean {
  return some(key, (k) => HEADER_KEYS.has(k.kind));
}
