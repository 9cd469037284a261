// FETCH arguments: macros, fetch-att (BODY[section]<partial>, BODY.PEEK, BINARY[.PEEK|.SIZE])
// and modifiers (RFC 9051 §6.4.5, §9; RFC 3516 §4.2; RFC 7162 §3.1.4.1 CHANGEDSINCE, §3.2.6 VANISHED).
import type { Reader } from "./lexer.ts";
import { parseModSeq, parseSet } from "./parse-values.ts";
import type { Command, FetchAttribute, FetchSection } from "./types.ts";

type Simple = Exclude<FetchAttribute, { section: unknown }>["kind"];
const SIMPLE = new Set<string>(["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE", "UID", "MODSEQ", "RFC822", "RFC822.HEADER", "RFC822.TEXT"]);

const simple = (kind: Simple): FetchAttribute => ({ kind });
// RFC 9051 §6.4.5 macros; they stand alone, never inside a list.
const MACROS: Record<string, readonly Simple[]> = {
  ALL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
  FAST: ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
  FULL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
};

/** header-fld-name = astring, which must also be an RFC 5322 field-name (printable, no ":"). */
function headerField(r: Reader): string {
  const name = r.astring();
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) r.fail("Invalid header field name");
  return name.toUpperCase();
}

/** section-part = nz-number *("." nz-number), when the next byte is a digit. */
function sectionPart(r: Reader): number[] {
  const part = [r.nzNumber()];
  while (r.peek() === 0x2e && r.peek(1) >= 0x30 && r.peek(1) <= 0x39) {
    r.skip();
    part.push(r.nzNumber());
  }
  return part;
}

/**
 * section = "[" [section-spec] "]"; section-spec = section-msgtext / (section-part ["." section-text]);
 * section-text = section-msgtext / "MIME" — MIME only after a part number.
 */
function section(r: Reader): FetchSection {
  r.expect(0x5b, '"["');
  let part: number[] = [];
  let text: FetchSection["text"] = null;
  let fields: string[] = [];
  if (r.peek() !== 0x5d) {
    let wantText = true;
    if (r.peek() >= 0x30 && r.peek() <= 0x39) {
      part = sectionPart(r);
      wantText = r.tryByte(0x2e);
    }
    if (wantText) {
      const w = r.word();
      if (w === "HEADER" || w === "TEXT" || (w === "MIME" && part.length > 0)) text = w;
      else if (w === "HEADER.FIELDS" || w === "HEADER.FIELDS.NOT") {
        text = w;
        r.sp();
        fields = r.list(() => headerField(r));
      } else r.fail(`Invalid section ${w}`);
    }
  }
  r.expect(0x5d, '"]"');
  return { part, text, fields };
}

/** section-binary = "[" [section-part] "]" (RFC 3516 §4.2). */
function binarySection(r: Reader): FetchSection {
  r.expect(0x5b, '"["');
  const part = r.peek() === 0x5d ? [] : sectionPart(r);
  r.expect(0x5d, '"]"');
  return { part, text: null, fields: [] };
}

/** partial = "<" number64 "." nz-number64 ">" (RFC 9051 §9). */
function partial(r: Reader): { offset: number; length: number } | null {
  if (!r.tryByte(0x3c)) return null;
  const offset = r.number64();
  r.expect(0x2e, '"."');
  const length = r.nzNumber64();
  r.expect(0x3e, '">"');
  return { offset, length };
}

function fetchAtt(r: Reader): FetchAttribute {
  const w = r.word();
  if (w === "BODY" && r.peek() === 0x5b) return { kind: "BODY[]", section: section(r), peek: false, partial: partial(r) };
  if (SIMPLE.has(w) || w === "BODY") return simple(w as Simple);
  switch (w) {
    case "BODY.PEEK":
      return { kind: "BODY[]", section: section(r), peek: true, partial: partial(r) };
    case "BINARY":
    case "BINARY.PEEK":
      return { kind: "BINARY[]", section: binarySection(r), peek: w === "BINARY.PEEK", partial: partial(r) };
    case "BINARY.SIZE":
      return { kind: "BINARY.SIZE", section: binarySection(r), peek: true, partial: null };
    default:
      return r.fail(`Unknown fetch attribute ${w}`);
  }
}

/** fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]. */
export function parseFetch(r: Reader, uid: boolean): Command {
  r.sp();
  const set = parseSet(r);
  r.sp();
  let attributes: FetchAttribute[];
  const w = r.peekWord();
  const macro = Object.hasOwn(MACROS, w) ? MACROS[w] : undefined;
  if (r.peek() === 0x28) attributes = r.list(() => fetchAtt(r));
  else if (macro !== undefined) {
    r.word();
    attributes = macro.map(simple);
  } else attributes = [fetchAtt(r)];
  let changedSince: number | null = null;
  let vanished = false;
  if (r.tryByte(0x20)) {
    // fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")" (RFC 4466 §2.4).
    const seen = new Set<string>();
    r.list(() => {
      const m = r.word();
      if (seen.has(m)) r.fail(`Duplicate FETCH modifier ${m}`);
      seen.add(m);
      if (m === "CHANGEDSINCE") {
        r.sp();
        changedSince = parseModSeq(r);
      } else if (m === "VANISHED") vanished = true;
      else r.fail(`Unknown FETCH modifier ${m}`);
    });
  }
  // RFC 7162 §3.2.6: VANISHED only with UID FETCH and together with CHANGEDSINCE, else BAD.
  if (vanished && (!uid || changedSince === null)) r.fail("VANISHED requires UID FETCH with CHANGEDSINCE");
  return { name: "FETCH", uid, set, attributes, changedSince, vanished };
}
