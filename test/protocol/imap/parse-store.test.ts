// Parser tests for STORE (RFC 9051 §6.4.6, RFC 7162 UNCHANGEDSINCE), COPY, MOVE (RFC 6851)
// and UID EXPUNGE (RFC 4315), with and without the UID prefix.
import { describe, expect, test } from "bun:test";
import { ok, parse } from "./parse-helpers.ts";

const INF = Number.POSITIVE_INFINITY;
const set = (...ranges: [number, number][]) => ({ kind: "set", ranges });
const store = (op: string, silent: boolean, flags: string[], extra: object = {}) => ({ name: "STORE", uid: false, set: set([2, 4]), action: { op, silent, flags }, unchangedSince: null, ...extra });

function table(cases: [string, unknown][]): void {
  for (const [input, expected] of cases) test(JSON.stringify(input), () => expect(ok(input)).toEqual(expected as never));
}
function bad(cases: [string, string][]): void {
  for (const [input, text] of cases) {
    test(JSON.stringify(input), () => {
      const r = parse(input);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.tag).toBe("A1");
        expect(r.text).toContain(text);
      }
    });
  }
}

describe("STORE", () => {
  table([
    ["A1 STORE 2:4 +FLAGS (\\Deleted)", store("add", false, ["\\Deleted"])],
    ["A1 STORE 2:4 -FLAGS.SILENT (\\seen $Junk)", store("remove", true, ["\\Seen", "$Junk"])],
    ["A1 STORE 2:4 FLAGS ()", store("set", false, [])],
    ["A1 STORE 2:4 flags.silent \\Answered \\Flagged", store("set", true, ["\\Answered", "\\Flagged"])],
    ["A1 STORE 2:4 +FLAGS \\Deleted", store("add", false, ["\\Deleted"])],
    ["A1 STORE 2:4 +FLAGS (\\MyExtension)", store("add", false, ["\\MyExtension"])],
    ["A1 STORE 2:4 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)", store("add", true, ["\\Deleted"], { unchangedSince: 320162338 })],
    ["A1 STORE 2:4 (unchangedsince 0) FLAGS (a)", store("set", false, ["a"], { unchangedSince: 0 })],
    ["A1 UID STORE 1:* +FLAGS (\\Seen)", store("add", false, ["\\Seen"], { uid: true, set: set([1, INF]) })],
    ["A1 STORE $ +FLAGS (\\Seen)", store("add", false, ["\\Seen"], { set: { kind: "saved" } })],
  ]);
  bad([
    ["A1 STORE 2:4", "Expected SP"],
    ["A1 STORE 2:4 +FLAGS", "Expected SP"],
    ["A1 STORE 2:4 FLAG (\\Seen)", "Unknown STORE item FLAG"],
    ["A1 STORE 2:4 +FLAGS.LOUD (\\Seen)", "Unknown STORE item"],
    ["A1 STORE 2:4 *FLAGS (\\Seen)", "keyword"],
    ["A1 STORE 2:4 +FLAGS (\\Seen", '")"'],
    ["A1 STORE 2:4 +FLAGS (\\)", "atom"],
    ["A1 STORE 2:4 +FLAGS (\\*)", "atom"],
    ["A1 STORE 2:4 +FLAGS (a b) c", "extra"],
    ["A1 STORE 2:4 (FOO 1) +FLAGS (a)", "Unknown STORE modifier FOO"],
    ["A1 STORE 2:4 (UNCHANGEDSINCE 1 UNCHANGEDSINCE 2) +FLAGS (a)", "Duplicate"],
    ["A1 STORE 2:4 (UNCHANGEDSINCE) +FLAGS (a)", "Expected SP"],
    ["A1 STORE 2:4 +FLAGS (sch\u00f6n)", "8-bit"],
  ]);
});

describe("COPY, MOVE, UID EXPUNGE", () => {
  table([
    ["A1 COPY 2:4 MEETING", { name: "COPY", uid: false, set: set([2, 4]), mailbox: "MEETING" }],
    ['A1 UID COPY 1,3:5 "Saved Items"', { name: "COPY", uid: true, set: set([1, 1], [3, 5]), mailbox: "Saved Items" }],
    ["A1 MOVE 1:* inbox", { name: "MOVE", uid: false, set: set([1, INF]), mailbox: "INBOX" }],
    ["A1 UID MOVE 42 Trash", { name: "MOVE", uid: true, set: set([42, 42]), mailbox: "Trash" }],
    ["A1 UID MOVE $ Trash", { name: "MOVE", uid: true, set: { kind: "saved" }, mailbox: "Trash" }],
    ["A1 UID EXPUNGE 3000:3002", { name: "UID EXPUNGE", set: set([3000, 3002]) }],
    ["A1 uid expunge 1:*", { name: "UID EXPUNGE", set: set([1, INF]) }],
  ]);
  bad([
    ["A1 COPY 2:4", "Expected SP"],
    ["A1 COPY MEETING", "sequence set"],
    ["A1 MOVE 1 a b", "extra"],
    ["A1 UID EXPUNGE", "Expected SP"],
    ["A1 UID EXPUNGE x", "sequence set"],
    ["A1 EXPUNGE 1:2", "extra"],
  ]);
});
