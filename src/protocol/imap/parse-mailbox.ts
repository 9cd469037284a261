// Mailbox commands with parameters: SELECT/EXAMINE (RFC 7162 §3.1.8 CONDSTORE, §3.2.5 QRESYNC),
// CREATE (RFC 6154 §3 USE), STATUS (RFC 9051 §6.3.11) and APPEND (RFC 9051 §6.3.12,
// RFC 3516 §4.3 literal8, RFC 6855 §4 UTF8).
import type { Reader } from "./lexer.ts";
import { parseDateTime, parseFlagList, parseModSeq, parseSet, parseStatusItems } from "./parse-values.ts";
import type { Command, SequenceSet } from "./types.ts";

type Qresync = Extract<Command, { name: "SELECT" | "EXAMINE" }>["qresync"];

// RFC 7162 §3.2.5: known-uids and known-sequence-set never hold "*" (nor "$").
const KNOWN = { allowStar: false, allowSaved: false } as const;

/** "(" uidvalidity SP mod-sequence-value [SP known-uids] [SP seq-match-data] ")". */
function qresyncParams(r: Reader): NonNullable<Qresync> {
  r.expect(0x28, '"("');
  r.enter();
  const uidValidity = r.nzNumber();
  r.sp();
  const modseq = parseModSeq(r);
  let knownUids: SequenceSet | null = null;
  let seqMatch: { seqs: SequenceSet; uids: SequenceSet } | null = null;
  if (r.tryByte(0x20)) {
    if (r.peek() !== 0x28) knownUids = parseSet(r, KNOWN);
    if (knownUids === null || r.tryByte(0x20)) {
      // seq-match-data = "(" known-sequence-set SP known-uid-set ")".
      r.expect(0x28, '"("');
      const seqs = parseSet(r, KNOWN);
      r.sp();
      seqMatch = { seqs, uids: parseSet(r, KNOWN) };
      r.expect(0x29, '")"');
    }
  }
  r.expect(0x29, '")"');
  r.leave();
  return { uidValidity, modseq, knownUids, seqMatch };
}

/** select = "SELECT" SP mailbox [select-params] (RFC 4466 §2.1); unknown parameters are BAD. */
export function parseSelect(r: Reader, name: "SELECT" | "EXAMINE"): Command {
  r.sp();
  const mailbox = r.mailbox();
  let condstore = false;
  let qresync: Qresync = null;
  if (r.tryByte(0x20)) {
    const seen = new Set<string>();
    r.list(() => {
      const p = r.word();
      if (seen.has(p)) r.fail(`Duplicate parameter ${p}`);
      seen.add(p);
      if (p === "CONDSTORE") condstore = true;
      else if (p === "QRESYNC") {
        r.sp();
        qresync = qresyncParams(r);
      } else r.fail(`Unknown ${name} parameter ${p}`);
    });
  }
  return { name, mailbox, condstore, qresync };
}

const USE_ATTRS = new Map(["\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"].map((a) => [a.toUpperCase(), a]));

/** use-attr = "\All" / "\Archive" / ... / use-attr-ext; use-attr-ext = "\" atom (RFC 6154 §6). */
function useAttr(r: Reader): string {
  r.expect(0x5c, '"\\"');
  const a = `\\${r.atom()}`;
  return USE_ATTRS.get(a.toUpperCase()) ?? a;
}

/** create = "CREATE" SP mailbox [create-params]; create-param =/ "USE" SP "(" [use-attr *(SP use-attr)] ")". */
export function parseCreate(r: Reader): Command {
  r.sp();
  const mailbox = r.mailbox();
  let specialUse: string[] = [];
  if (r.tryByte(0x20)) {
    const seen = new Set<string>();
    r.list(() => {
      const p = r.word();
      if (p !== "USE") r.fail(`Unknown CREATE parameter ${p}`);
      if (seen.has(p)) r.fail(`Duplicate parameter ${p}`);
      seen.add(p);
      r.sp();
      specialUse = [...new Set(r.list(() => useAttr(r), true))];
    });
  }
  return { name: "CREATE", mailbox, specialUse };
}

/** status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")". */
export function parseStatus(r: Reader): Command {
  r.sp();
  const mailbox = r.mailbox();
  r.sp();
  return { name: "STATUS", mailbox, items: parseStatusItems(r) };
}

/**
 * append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP append-data;
 * append-data = literal / literal8 / "UTF8" SP "(" literal8 ")".
 */
export function parseAppend(r: Reader): Command {
  r.sp();
  const mailbox = r.mailbox();
  r.sp();
  let flags: string[] = [];
  let date: string | null = null;
  if (r.peek() === 0x28) {
    flags = parseFlagList(r);
    r.sp();
  }
  if (r.peek() === 0x22) {
    date = parseDateTime(r);
    r.sp();
  }
  let utf8 = false;
  if (!r.atLiteral()) {
    if (r.peekWord() !== "UTF8") r.fail("Expected a literal");
    r.word();
    r.sp();
    r.expect(0x28, '"("');
    utf8 = true;
  }
  const lit = r.literal();
  if (utf8) {
    if (!lit.binary) r.fail("UTF8 requires literal8");
    r.expect(0x29, '")"');
  }
  // literal = ... *CHAR8 (no NUL): only literal8 may carry NUL (RFC 3516 §4.3).
  if (!lit.binary && lit.data.indexOf(0) >= 0) r.fail("NUL in message literal (use literal8)");
  return { name: "APPEND", mailbox, flags, date, message: lit.data, binary: lit.binary, utf8 };
}
