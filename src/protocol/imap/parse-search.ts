// SEARCH arguments: RETURN options (RFC 4731, RFC 5182 SAVE, RFC 9051 §6.4.4), CHARSET and
// the search-key tree, with MODSEQ (RFC 7162 §3.1.5) and the RFC 3501 NEW/OLD/RECENT keys.
import { ATOM_CHAR, isDigit } from "./chars.ts";
import type { Reader } from "./lexer.ts";
import { canonicalFlag, parseDate, parseModSeq, parseSet } from "./parse-values.ts";
import type { Command, SearchKey, SearchReturn } from "./types.ts";

type FlagKind = Exclude<SearchKey, { flag: unknown } | { value: unknown } | { date: unknown } | { size: unknown } | { set: unknown } | { key: unknown } | { a: unknown } | { keys: unknown } | { modseq: unknown }>["kind"];
type TextKind = Exclude<Extract<SearchKey, { value: string }>, { field: string }>["kind"];
type DateKind = Extract<SearchKey, { date: string }>["kind"];

const FLAG_KEYS = new Set<string>(["ALL", "ANSWERED", "DELETED", "DRAFT", "FLAGGED", "NEW", "OLD", "RECENT", "SEEN", "UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNSEEN"]);
const TEXT_KEYS = new Set<string>(["BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO"]);
const DATE_KEYS = new Set<string>(["BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"]);
const OTHER_KEYS = new Set<string>(["KEYWORD", "UNKEYWORD", "HEADER", "LARGER", "SMALLER", "UID", "NOT", "OR", "MODSEQ"]);
const RETURN_OPTS = ["MIN", "MAX", "ALL", "COUNT", "SAVE"] as const;
const FLAGS_PREFIX = "/flags/";

/** An operand of NOT/OR or a parenthesised group: one level deeper. */
function nested<T>(r: Reader, f: () => T): T {
  r.enter();
  const v = f();
  r.leave();
  return v;
}

/** entry-flag-name = DQUOTE "/flags/" attr-flag DQUOTE; then SP entry-type-req (RFC 7162 §7). */
function modseqEntry(r: Reader): { name: string; type: "priv" | "shared" | "all" } {
  const raw = new TextDecoder("latin1").decode(r.quotedBytes());
  const flag = raw.slice(FLAGS_PREFIX.length);
  const bare = flag.startsWith("\\") ? flag.slice(1) : flag;
  const atom = bare !== "" && [...bare].every((c) => ATOM_CHAR[c.charCodeAt(0)] === 1);
  if (raw.slice(0, FLAGS_PREFIX.length).toLowerCase() !== FLAGS_PREFIX || !atom) r.fail("Invalid MODSEQ entry name");
  r.sp();
  const type = r.word().toLowerCase();
  if (type !== "priv" && type !== "shared" && type !== "all") return r.fail("Invalid MODSEQ entry type");
  return { name: canonicalFlag(flag), type };
}

function searchKey(r: Reader): SearchKey {
  const b = r.peek();
  if (b === 0x28) {
    const keys = r.list(() => searchKey(r));
    return keys.length === 1 ? keys[0] : { kind: "and", keys };
  }
  if (isDigit(b) || b === 0x2a || b === 0x24) return { kind: "seq", set: parseSet(r) };
  const w = r.word();
  if (FLAG_KEYS.has(w)) return { kind: w.toLowerCase() as FlagKind };
  if (!TEXT_KEYS.has(w) && !DATE_KEYS.has(w) && !OTHER_KEYS.has(w)) r.fail(`Unknown search key ${w}`);
  r.sp();
  if (TEXT_KEYS.has(w)) return { kind: w.toLowerCase() as TextKind, value: r.astring() };
  if (DATE_KEYS.has(w)) return { kind: w.toLowerCase() as DateKind, date: parseDate(r) };
  switch (w) {
    case "KEYWORD":
    case "UNKEYWORD":
      // flag-keyword = atom: system flags have their own keys.
      return { kind: w === "KEYWORD" ? "keyword" : "unkeyword", flag: r.atom() };
    case "HEADER": {
      const field = r.astring();
      r.sp();
      return { kind: "header", field, value: r.astring() };
    }
    case "LARGER":
    case "SMALLER":
      return { kind: w === "LARGER" ? "larger" : "smaller", size: r.number64() };
    case "UID":
      return { kind: "uid", set: parseSet(r) };
    case "NOT":
      return { kind: "not", key: nested(r, () => searchKey(r)) };
    case "OR":
      return nested(r, () => {
        const a = searchKey(r);
        r.sp();
        return { kind: "or", a, b: searchKey(r) };
      });
    case "MODSEQ": {
      // search-modsequence = "MODSEQ" [search-modseq-ext] SP mod-sequence-valzer.
      const entry = r.peek() === 0x22 ? modseqEntry(r) : null;
      if (entry !== null) r.sp();
      return { kind: "modseq", modseq: parseModSeq(r), entry };
    }
    default:
      return r.fail(`Unknown search key ${w}`);
  }
}

/** CHARSET: UTF-8 and US-ASCII always (RFC 9051 §6.4.4); others where the runtime decodes them. */
function useCharset(r: Reader, charset: string): void {
  const upper = charset.toUpperCase();
  if (upper === "UTF-8" || upper === "US-ASCII") return;
  try {
    r.decoder = new TextDecoder(charset, { fatal: true });
  } catch {
    r.fail("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset", "NO");
  }
}

/** search = "SEARCH" [search-return-opts] SP search-program; search-program = ["CHARSET" SP charset SP] search-key *(SP search-key). */
export function parseSearch(r: Reader, uid: boolean): Command {
  r.sp();
  let returns: SearchReturn | null = null;
  if (r.peekWord() === "RETURN") {
    r.word();
    r.sp();
    const opts = r.list(() => {
      const w = r.word();
      const opt = RETURN_OPTS.find((o) => o === w);
      if (opt === undefined) r.fail(`Unknown search return option ${w}`);
      return opt;
    }, true);
    // RFC 4731 §3.1: "RETURN ()" is the same as "RETURN (ALL)".
    returns = opts.length === 0 ? ["ALL"] : [...new Set(opts)];
    r.sp();
  }
  let charset: string | null = null;
  if (r.peekWord() === "CHARSET") {
    r.word();
    r.sp();
    charset = r.astring().toUpperCase();
    useCharset(r, charset);
    r.sp();
  }
  const keys = [searchKey(r)];
  while (r.tryByte(0x20)) keys.push(searchKey(r));
  return { name: "SEARCH", uid, charset, key: keys.length === 1 ? keys[0] : { kind: "and", keys }, returns };
}
