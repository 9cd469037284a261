// Value productions shared by several commands: flags and flag lists, date and date-time,
// STATUS items (RFC 9051 §9; RFC 7162 §7 HIGHESTMODSEQ; RFC 7889 APPENDLIMIT; RFC 8438 SIZE).
import type { Reader } from "./lexer.ts";
import { parseSequenceSet } from "./sequence.ts";
import type { SequenceSetOptions } from "./sequence.ts";
import type { SequenceSet, StatusItem } from "./types.ts";

const SYSTEM_FLAGS = new Map(["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "\\Recent"].map((f) => [f.toUpperCase(), f]));

/**
 * flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword /
 * flag-extension; flag-extension = "\" atom. System flags come out in their canonical case;
 * keywords as sent (they compare case-insensitively, RFC 9051 §2.3.2).
 */
export function parseFlag(r: Reader): string {
  return r.tryByte(0x5c) ? canonicalFlag(`\\${r.atom()}`) : r.atom();
}

/** A system flag in its canonical case; anything else unchanged. */
export function canonicalFlag(flag: string): string {
  return SYSTEM_FLAGS.get(flag.toUpperCase()) ?? flag;
}

/** flag-list = "(" [flag *(SP flag)] ")". */
export function parseFlagList(r: Reader): string[] {
  return r.list(() => parseFlag(r), true);
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** "d-Mon-yyyy" → "yyyy-mm-dd", or null when it names no real day. */
function calendarDate(day: string, mon: string, year: string): string | null {
  const m = MONTHS.indexOf(mon.toUpperCase()) + 1;
  const d = Number(day);
  const y = Number(year);
  if (m === 0 || d < 1 || d > daysIn(m, y)) return null;
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
}

/**
 * date = date-text / DQUOTE date-text DQUOTE; date-text = date-day "-" date-month "-" date-year
 * (RFC 9051 §9). Returned as "YYYY-MM-DD".
 */
export function parseDate(r: Reader): string {
  const text = r.peek() === 0x22 ? new TextDecoder("latin1").decode(r.quotedBytes()) : r.atom();
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  const date = m === null ? null : calendarDate(m[1], m[2], m[3]);
  if (date === null) r.fail("Invalid date");
  return date;
}

/**
 * date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
 * (RFC 9051 §9); a day without its leading space is tolerated. Returned as ISO 8601 with the
 * sender's offset, "YYYY-MM-DDThh:mm:ss+hh:mm".
 */
export function parseDateTime(r: Reader): string {
  const text = new TextDecoder("latin1").decode(r.quotedBytes());
  const m = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  const date = m === null ? null : calendarDate(m[1], m[2], m[3]);
  // A leap second (60) is a valid time of day; zone minutes are below 60.
  if (m === null || date === null || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 60 || Number(m[9]) > 59) {
    return r.fail("Invalid date-time");
  }
  return `${date}T${m[4]}:${m[5]}:${m[6]}${m[7]}${m[8]}:${m[9]}`;
}

const STATUS_ITEMS: readonly StatusItem[] = ["MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "RECENT", "HIGHESTMODSEQ", "APPENDLIMIT"];

/** "(" status-att *(SP status-att) ")"; repeated items are kept once. */
export function parseStatusItems(r: Reader): StatusItem[] {
  const items = r.list(() => {
    const w = r.word();
    const item = STATUS_ITEMS.find((s) => s === w);
    if (item === undefined) r.fail(`Unknown status item ${w}`);
    return item;
  });
  return [...new Set(items)];
}

const SEQ_CHAR = new Uint8Array(256);
for (const c of "0123456789:,*$") SEQ_CHAR[c.charCodeAt(0)] = 1;

/** sequence-set, or "$" (RFC 5182) unless saved is refused. */
export function parseSet(r: Reader, opts: SequenceSetOptions = {}): SequenceSet {
  const set = parseSequenceSet(r.run(SEQ_CHAR, "sequence set"), opts);
  if (set === null) r.fail("Invalid sequence set");
  return set;
}

/** mod-sequence-valzer = "0" / mod-sequence-value (RFC 7162 §7). */
export function parseModSeq(r: Reader): number {
  return r.number64();
}
