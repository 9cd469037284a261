// STORE (RFC 9051 §6.4.6 with RFC 7162 §3.1.3 UNCHANGEDSINCE), COPY, MOVE (RFC 6851 §3) and
// UID EXPUNGE (RFC 4315 §2.1): the commands that act on a message set.
import type { Reader } from "./lexer.ts";
import { parseFlag, parseFlagList, parseModSeq, parseSet } from "./parse-values.ts";
import type { Command } from "./types.ts";

/**
 * store = "STORE" SP sequence-set [store-modifiers] SP store-att-flags;
 * store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag))).
 */
export function parseStore(r: Reader, uid: boolean): Command {
  r.sp();
  const set = parseSet(r);
  r.sp();
  let unchangedSince: number | null = null;
  if (r.peek() === 0x28) {
    r.list(() => {
      const m = r.word();
      if (m !== "UNCHANGEDSINCE") r.fail(`Unknown STORE modifier ${m}`);
      if (unchangedSince !== null) r.fail("Duplicate UNCHANGEDSINCE");
      r.sp();
      unchangedSince = parseModSeq(r);
    });
    r.sp();
  }
  const op = r.tryByte(0x2b) ? "add" : r.tryByte(0x2d) ? "remove" : "set";
  const item = r.word();
  if (item !== "FLAGS" && item !== "FLAGS.SILENT") r.fail(`Unknown STORE item ${item}`);
  r.sp();
  let flags: string[];
  if (r.peek() === 0x28) flags = parseFlagList(r);
  else {
    flags = [parseFlag(r)];
    while (r.tryByte(0x20)) flags.push(parseFlag(r));
  }
  return { name: "STORE", uid, set, action: { op, silent: item === "FLAGS.SILENT", flags }, unchangedSince };
}

/** copy = "COPY" SP sequence-set SP mailbox; move likewise. */
export function parseCopy(r: Reader, name: "COPY" | "MOVE", uid: boolean): Command {
  r.sp();
  const set = parseSet(r);
  r.sp();
  return { name, uid, set, mailbox: r.mailbox() };
}

/** uid-expunge = "UID" SP "EXPUNGE" SP sequence-set. */
export function parseUidExpunge(r: Reader): Command {
  r.sp();
  return { name: "UID EXPUNGE", set: parseSet(r) };
}
