// The searchable text of a stored message for SEARCH (RFC 9051 §6.4.4): decoded header values,
// decoded text/* bodies (transfer encoding and charset undone) and the sent date, each computed
// lazily from the raw bytes and the delivery-time parse, at most once per message.

import { headerFields } from "../mime/header.ts";
import type { MimePart, ParsedMessage } from "../mime/types.ts";
import { decodeCharset, decodeWords } from "../mime/words.ts";
import { decodeTransfer } from "./transfer-decode.ts";
import { fieldRanges, fieldValue } from "./header-ranges.ts";

export type SearchContent = {
  /** Unfolded values of every top-level field named `name` (any case), encoded words decoded. */
  header(name: string): readonly string[];
  /** The whole top-level header as "Name: value" lines, encoded words decoded. */
  headerText(): string;
  /** Text of the body: text/* parts decoded, plus the headers of encapsulated messages. */
  bodyText(): string;
  /** UTC midnight of the Date header's calendar date, as written (time and zone ignored). */
  sentDate(): number | null;
};

export type SearchSource = {
  readonly raw: () => Uint8Array;
  readonly parsed: () => ParsedMessage;
};

/** Bodies deeper than this are not searched (the parse itself is capped far below). */
const MAX_TEXT_DEPTH = 64;

function lazy<T>(f: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = f();
      done = true;
    }
    return value;
  };
}

/** Accessors over a message; `source.raw` and `source.parsed` are each called at most once. */
export function searchContent(source: SearchSource): SearchContent {
  const raw = lazy(source.raw);
  const parsed = lazy(source.parsed);
  const fields = lazy(() =>
    headerFields(raw(), parsed().root).map((f) => ({ name: f.name.toLowerCase(), label: f.name, value: decodeWords(f.value) })),
  );
  // header(name) decodes only the fields it returns (a SUBJECT search over a mailbox must not
  // decode every Received and DKIM-Signature line); headerText() needs them all.
  const ranges = lazy(() => fieldRanges(raw(), parsed().root));
  const headerText = lazy(() => fields().map((f) => `${f.label}: ${f.value}\n`).join(""));
  const bodyText = lazy(() => {
    const out: string[] = [];
    collectText(raw(), parsed().root, out, 0);
    return out.join("\n");
  });
  const sentDate = lazy(() => calendarDate(parsed().envelope.date) ?? isoDate(parsed().date));
  return {
    header: (name) => {
      const n = name.toLowerCase();
      const out: string[] = [];
      const bytes = raw();
      for (const f of ranges()) if (f.name === n) out.push(decodeWords(fieldValue(bytes, f)));
      return out;
    },
    headerText,
    bodyText,
    sentDate,
  };
}

function collectText(raw: Uint8Array, part: MimePart, out: string[], depth: number): void {
  if (depth > MAX_TEXT_DEPTH) return;
  if (part.parts) {
    for (const child of part.parts) collectText(raw, child, out, depth + 1);
    return;
  }
  if (part.message) {
    // An attached message's header is part of the containing message's body text.
    for (const f of headerFields(raw, part.message.part)) out.push(`${f.name}: ${decodeWords(f.value)}`);
    collectText(raw, part.message.part, out, depth + 1);
    return;
  }
  if (part.contentType.type !== "text") return;
  const decoded = decodeTransfer(raw.subarray(part.bodyStart, part.bodyEnd), part.encoding);
  // An unknown transfer encoding is searched as written rather than skipped.
  const bytes = decoded.ok ? decoded.bytes : raw.subarray(part.bodyStart, part.bodyEnd);
  out.push(decodeCharset(bytes, part.contentType.params.charset ?? "us-ascii"));
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/**
 * RFC 5322 §3.3 date: day month year as written, so "1 Jan 2024 23:30 -0500" is 1 Jan
 * (RFC 9051 §6.4.4 SENT* keys disregard time and timezone). Two- and three-digit years are
 * read as RFC 5322 §4.3 says.
 */
export function calendarDate(value: string | null): number | null {
  if (value === null) return null;
  const m = /(\d{1,2})[\s-]+([A-Za-z]{3})[A-Za-z]*\.?[\s-]+(\d{2,4})\b/.exec(value);
  if (!m) return null;
  const month = MONTHS.indexOf(m[2]!.toLowerCase());
  if (month === -1) return null;
  let year = Number(m[3]);
  if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (m[3]!.length === 3) year += 1900;
  const day = Number(m[1]);
  if (day < 1 || day > 31) return null;
  return Date.UTC(year, month, day);
}

function isoDate(iso: string | null): number | null {
  if (iso === null) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  return t - (((t % 86_400_000) + 86_400_000) % 86_400_000);
}
