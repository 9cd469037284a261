// Parser tests for the commands without message sets: any-state, not-authenticated and
// mailbox commands (RFC 9051 §6.1–6.3, RFC 3501 §6, RFC 2971, 4959, 5161, 5258, 5819, 6154,
// 6855, 7162 SELECT parameters, 3516 literal8), valid and invalid forms.
import { describe, expect, test } from "bun:test";
import { bytes, ok, parse } from "./parse-helpers.ts";

const set = (...ranges: [number, number][]) => ({ kind: "set", ranges });
const INF = Number.POSITIVE_INFINITY;

/** [input, expected command] — each input is also framed at every byte boundary. */
function table(cases: [string, unknown][]): void {
  for (const [input, expected] of cases) test(JSON.stringify(input), () => expect(ok(input)).toEqual(expected as never));
}
/** [input, expected tag, text fragment] for BAD results. */
function bad(cases: [string, string | null, string][]): void {
  for (const [input, tag, text] of cases) {
    test(JSON.stringify(input), () => {
      const r = parse(input);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.status).toBe("BAD");
      expect(r.tag).toBe(tag);
      expect(r.text).toContain(text);
    });
  }
}

describe("no-argument commands", () => {
  table([
    ["A1 CAPABILITY", { name: "CAPABILITY" }],
    ["a2 noop", { name: "NOOP" }],
    ["tag.3 Logout", { name: "LOGOUT" }],
    ["A4 STARTTLS", { name: "STARTTLS" }],
    ["A5 CHECK", { name: "CHECK" }],
    ["A6 CLOSE", { name: "CLOSE" }],
    ["A7 UNSELECT", { name: "UNSELECT" }],
    ["A8 IDLE", { name: "IDLE" }],
    ["A9 NAMESPACE", { name: "NAMESPACE" }],
    ["A10 EXPUNGE", { name: "EXPUNGE" }],
    ["]tag] NOOP", { name: "NOOP" }],
  ]);
  bad([
    ["A1 NOOP extra", "A1", "Unexpected extra arguments"],
    ["A1 NOOP ", "A1", "Unexpected extra arguments"],
    ["A1 CAPABILITY(", "A1", "Unexpected character"],
    ["A1 LOGOUT\x7f", "A1", "Unexpected"],
  ]);
});

describe("AUTHENTICATE (RFC 9051 §6.2.2, SASL-IR RFC 4959)", () => {
  table([
    ["A1 AUTHENTICATE PLAIN", { name: "AUTHENTICATE", mechanism: "PLAIN", initial: null }],
    ["A1 authenticate scram-sha-256", { name: "AUTHENTICATE", mechanism: "SCRAM-SHA-256", initial: null }],
    ["A1 AUTHENTICATE PLAIN AGJvYgBwYXNz", { name: "AUTHENTICATE", mechanism: "PLAIN", initial: "AGJvYgBwYXNz" }],
    ["A1 AUTHENTICATE PLAIN AGJvYgBwYXM=", { name: "AUTHENTICATE", mechanism: "PLAIN", initial: "AGJvYgBwYXM=" }],
    ["A1 AUTHENTICATE EXTERNAL =", { name: "AUTHENTICATE", mechanism: "EXTERNAL", initial: "" }],
  ]);
  bad([
    ["A1 AUTHENTICATE", "A1", "Expected SP"],
    ["A1 AUTHENTICATE PLAIN AGJvY", "A1", "base64"],
    ["A1 AUTHENTICATE PLAIN =AAA", "A1", "base64"],
    ["A1 AUTHENTICATE PLAIN AA=A", "A1", "base64"],
    ["A1 AUTHENTICATE PLAIN AA== x", "A1", "extra"],
    ["A1 AUTHENTICATE PLAIN !!!!", "A1", "initial response"],
  ]);
});

describe("LOGIN", () => {
  table([
    ["A1 LOGIN bob secret", { name: "LOGIN", user: "bob", password: "secret" }],
    ['A1 LOGIN "bob smith" "pa\\"ss\\\\"', { name: "LOGIN", user: "bob smith", password: 'pa"ss\\' }],
    ["A1 LOGIN {3}\r\nbob {6}\r\nse cr]", { name: "LOGIN", user: "bob", password: "se cr]" }],
    ["A1 LOGIN {3+}\r\nbob pass]word", { name: "LOGIN", user: "bob", password: "pass]word" }],
    ['A1 LOGIN "jörg" "pässwörd"', { name: "LOGIN", user: "jörg", password: "pässwörd" }],
    ['A1 LOGIN "" ""', { name: "LOGIN", user: "", password: "" }],
    ["A1 LOGIN bob pa}", { name: "LOGIN", user: "bob", password: "pa}" }],
  ]);
  bad([
    ["A1 LOGIN bob", "A1", "Expected SP"],
    ["A1 LOGIN bob  secret", "A1", "astring"],
    ["A1 LOGIN bob secret more", "A1", "extra"],
    ['A1 LOGIN "bob secret', "A1", "Unterminated"],
    ['A1 LOGIN "b\\ob" x', "A1", "escape"],
    ["A1 LOGIN jörg secret", "A1", "8-bit"],
    ["A1 LOGIN b%b secret", "A1", "Expected SP"],
    ["A1 LOGIN ~{3}\r\nbob x", "A1", "literal8"],
  ]);
  test("invalid UTF-8 in a quoted string or literal is BAD", () => {
    for (const input of [Uint8Array.from([...bytes('A1 LOGIN "a'), 0xff, ...bytes('" b')]), Uint8Array.from([...bytes("A1 LOGIN {2}\r\n"), 0xc3, 0x28, ...bytes(" b")])]) {
      const r = parse(input);
      expect(r).toEqual({ ok: false, tag: "A1", status: "BAD", text: "LOGIN: Invalid UTF-8 in string" });
    }
  });
});

describe("ENABLE (RFC 5161) and ID (RFC 2971)", () => {
  table([
    ["A1 ENABLE CONDSTORE", { name: "ENABLE", capabilities: ["CONDSTORE"] }],
    ["A1 ENABLE qresync utf8=accept CONDSTORE qresync", { name: "ENABLE", capabilities: ["QRESYNC", "UTF8=ACCEPT", "CONDSTORE"] }],
    ["A1 ID NIL", { name: "ID", params: null }],
    ["A1 ID nil", { name: "ID", params: null }],
    ["A1 ID ()", { name: "ID", params: {} }],
    ['A1 ID ("name" "Thunderbird" "version" NIL)', { name: "ID", params: { name: "Thunderbird", version: null } }],
    ['A1 ID ("__proto__" "x")', { name: "ID", params: JSON.parse('{"__proto__":"x"}') }],
    ['A1 ID ({4}\r\nname {3}\r\nabc)', { name: "ID", params: { name: "abc" } }],
  ]);
  bad([
    ["A1 ENABLE", "A1", "Expected SP"],
    ["A1 ENABLE ", "A1", "atom"],
    ["A1 ID", "A1", "Expected SP"],
    ["A1 ID name", "A1", "NIL"],
    ['A1 ID ("name")', "A1", "Expected SP"],
    ['A1 ID ("name" "a" "name" "b")', "A1", "Duplicate"],
    ['A1 ID (name "a")', "A1", "string"],
    [`A1 ID ("${"n".repeat(31)}" "a")`, "A1", "too long"],
    [`A1 ID ("n" "${"v".repeat(1025)}")`, "A1", "too long"],
    [`A1 ID (${Array.from({ length: 31 }, (_, i) => `"f${i}" NIL`).join(" ")})`, "A1", "Too many"],
  ]);
  test("ID values at the RFC 2971 limits pass", () => {
    const pairs = Array.from({ length: 30 }, (_, i) => `"${String(i).padStart(30, "f")}" "${"v".repeat(1024)}"`).join(" ");
    const r = ok(`A1 ID (${pairs})`) as { params: Record<string, string> };
    expect(Object.keys(r.params).length).toBe(30);
  });
});

describe("SELECT / EXAMINE (RFC 7162 CONDSTORE, QRESYNC)", () => {
  const sel = (mailbox: string, extra: object = {}) => ({ name: "SELECT", mailbox, condstore: false, qresync: null, ...extra });
  table([
    ["A1 SELECT INBOX", sel("INBOX")],
    ["A1 SELECT inbox", sel("INBOX")],
    ['A1 SELECT "InBox"', sel("INBOX")],
    ["A1 SELECT INBOX.Sent", sel("INBOX.Sent")],
    ["A1 SELECT inboxes", sel("inboxes")],
    ['A1 SELECT "Entw&APw-rfe"', sel("Entw&APw-rfe")],
    ['A1 SELECT "Entwürfe"', sel("Entwürfe")],
    ["A1 SELECT {5}\r\nDraft", sel("Draft")],
    ["A1 EXAMINE Archive", { ...sel("Archive"), name: "EXAMINE" }],
    ["A1 SELECT INBOX (CONDSTORE)", sel("INBOX", { condstore: true })],
    ["A1 SELECT INBOX (QRESYNC (67890007 20050715194045000))", sel("INBOX", { qresync: { uidValidity: 67890007, modseq: 20050715194045000, knownUids: null, seqMatch: null } })],
    ["A1 SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541))", sel("INBOX", { qresync: { uidValidity: 67890007, modseq: 90060115194045000, knownUids: set([41, 211], [214, 541]), seqMatch: null } })],
    [
      "A1 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))",
      sel("INBOX", {
        qresync: {
          uidValidity: 67890007,
          modseq: 90060115194045000,
          knownUids: set([1, 29997]),
          seqMatch: { seqs: set([5000, 5000], [7500, 7500], [9000, 9000], [9990, 9999]), uids: set(...[15000, 22500, 27000, 29970, 29973, 29976, 29979, 29982, 29985, 29988, 29991, 29994, 29997].map((n): [number, number] => [n, n])) },
        },
      }),
    ],
    ["A1 SELECT INBOX (QRESYNC (1 2 (3 4)))", sel("INBOX", { qresync: { uidValidity: 1, modseq: 2, knownUids: null, seqMatch: { seqs: set([3, 3]), uids: set([4, 4]) } } })],
    ["A1 SELECT INBOX (condstore QRESYNC (1 2))", sel("INBOX", { condstore: true, qresync: { uidValidity: 1, modseq: 2, knownUids: null, seqMatch: null } })],
  ]);
  bad([
    ["A1 SELECT", "A1", "Expected SP"],
    ["A1 SELECT INBOX ()", "A1", "keyword"],
    ["A1 SELECT INBOX (FOO)", "A1", "Unknown SELECT parameter FOO"],
    ["A1 SELECT INBOX (CONDSTORE CONDSTORE)", "A1", "Duplicate"],
    ["A1 SELECT INBOX (QRESYNC)", "A1", "Expected SP"],
    ["A1 SELECT INBOX (QRESYNC (0 2))", "A1", "non-zero"],
    ["A1 SELECT INBOX (QRESYNC (1 2 1:*))", "A1", "sequence set"],
    ["A1 SELECT INBOX (QRESYNC (1 2 $))", "A1", "sequence set"],
    ["A1 SELECT INBOX (QRESYNC (1 2 1:5 (1:2)))", "A1", "Expected SP"],
    ["A1 SELECT INBOX (QRESYNC (1 99999999999999999999))", "A1", "out of range"],
    ["A1 SELECT INBOX extra", "A1", '"("'],
  ]);
});

describe("CREATE (RFC 6154 USE), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE", () => {
  table([
    ["A1 CREATE Work", { name: "CREATE", mailbox: "Work", specialUse: [] }],
    ['A1 CREATE "Work/Project X"', { name: "CREATE", mailbox: "Work/Project X", specialUse: [] }],
    ["A1 CREATE MySpecialDrafts (USE (\\drafts))", { name: "CREATE", mailbox: "MySpecialDrafts", specialUse: ["\\Drafts"] }],
    ["A1 CREATE X (USE (\\Sent \\Archive \\MyUse \\Sent))", { name: "CREATE", mailbox: "X", specialUse: ["\\Sent", "\\Archive", "\\MyUse"] }],
    ["A1 CREATE X (USE ())", { name: "CREATE", mailbox: "X", specialUse: [] }],
    ["A1 DELETE Work", { name: "DELETE", mailbox: "Work" }],
    ["A1 SUBSCRIBE inbox", { name: "SUBSCRIBE", mailbox: "INBOX" }],
    ['A1 UNSUBSCRIBE "a b"', { name: "UNSUBSCRIBE", mailbox: "a b" }],
    ["A1 RENAME Old New", { name: "RENAME", from: "Old", to: "New" }],
    ['A1 RENAME INBOX "Old Mail"', { name: "RENAME", from: "INBOX", to: "Old Mail" }],
  ]);
  bad([
    ["A1 CREATE", "A1", "Expected SP"],
    ["A1 CREATE X (USE (Drafts))", "A1", '"\\"'],
    ["A1 CREATE X (USE \\Drafts)", "A1", '"("'],
    ["A1 CREATE X (FOO (bar))", "A1", "Unknown CREATE parameter"],
    ["A1 CREATE X (USE () USE ())", "A1", "Duplicate"],
    ["A1 DELETE", "A1", "Expected SP"],
    ["A1 RENAME Old", "A1", "Expected SP"],
    ["A1 RENAME Old New Extra", "A1", "extra"],
    ["A1 CREATE a*b", "A1", "Unexpected character"],
  ]);
});

describe("LIST (RFC 5258, 5819, 6154) and LSUB", () => {
  const list = (reference: string, patterns: string[], extra: object = {}) => ({ name: "LIST", reference, patterns, selection: [], returns: [], extended: false, ...extra });
  table([
    ['A1 LIST "" *', list("", ["*"])],
    ['A1 LIST "" ""', list("", [""])],
    ["A1 LIST ~/Mail/ %", list("~/Mail/", ["%"])],
    ['A1 LIST "" INBOX.%.x]', list("", ["INBOX.%.x]"])],
    ['A1 LIST "" "Entwürfe*"', list("", ["Entwürfe*"])],
    ['A1 LIST "" {1}\r\n*', list("", ["*"])],
    ['A1 LIST (SUBSCRIBED) "" "*"', list("", ["*"], { selection: ["SUBSCRIBED"], extended: true })],
    ['A1 LIST (subscribed RECURSIVEMATCH remote) "" %', list("", ["%"], { selection: ["SUBSCRIBED", "RECURSIVEMATCH", "REMOTE"], extended: true })],
    ['A1 LIST (SPECIAL-USE RECURSIVEMATCH) "" *', list("", ["*"], { selection: ["SPECIAL-USE", "RECURSIVEMATCH"], extended: true })],
    ['A1 LIST () "" *', list("", ["*"], { extended: true })],
    ['A1 LIST "" (INBOX Drafts "Sent Items")', list("", ["INBOX", "Drafts", "Sent Items"], { extended: true })],
    ['A1 LIST "" % RETURN (CHILDREN)', list("", ["%"], { returns: ["CHILDREN"], extended: true })],
    ['A1 LIST "" % RETURN ()', list("", ["%"], { extended: true })],
    ['A1 LIST "" % RETURN (SUBSCRIBED SPECIAL-USE STATUS (MESSAGES UNSEEN size))', list("", ["%"], { returns: ["SUBSCRIBED", "SPECIAL-USE", { status: ["MESSAGES", "UNSEEN", "SIZE"] }], extended: true })],
    ['A1 LIST (SUBSCRIBED) "" (% foo/%) return (children status (deleted))', list("", ["%", "foo/%"], { selection: ["SUBSCRIBED"], returns: ["CHILDREN", { status: ["DELETED"] }], extended: true })],
    ['A1 LSUB "" *', { name: "LSUB", reference: "", pattern: "*" }],
    ["A1 LSUB #news. comp.mail.*", { name: "LSUB", reference: "#news.", pattern: "comp.mail.*" }],
  ]);
  bad([
    ["A1 LIST", "A1", "Expected SP"],
    ['A1 LIST ""', "A1", "Expected SP"],
    ['A1 LIST "" ()', "A1", "mailbox pattern"],
    ['A1 LIST (RECURSIVEMATCH) "" *', "A1", "RECURSIVEMATCH"],
    ['A1 LIST (REMOTE RECURSIVEMATCH) "" *', "A1", "RECURSIVEMATCH"],
    ['A1 LIST (FOO) "" *', "A1", "Unknown LIST selection option FOO"],
    ['A1 LIST "" * RETURN (FOO)', "A1", "Unknown LIST return option FOO"],
    ['A1 LIST "" * RETURN (CHILDREN CHILDREN)', "A1", "Duplicate"],
    ['A1 LIST "" * RETURN (STATUS ())', "A1", "keyword"],
    ['A1 LIST "" * RETURN (STATUS (FOO))', "A1", "Unknown status item FOO"],
    ['A1 LIST "" * RETURNS (CHILDREN)', "A1", "Expected RETURN"],
    ['A1 LIST "" * CHILDREN', "A1", "Expected RETURN"],
    ['A1 LSUB ""', "A1", "Expected SP"],
  ]);
});

describe("STATUS (RFC 9051 §6.3.11, RFC 7162, RFC 7889, RFC 8438)", () => {
  table([
    ["A1 STATUS INBOX (MESSAGES)", { name: "STATUS", mailbox: "INBOX", items: ["MESSAGES"] }],
    [
      "A1 STATUS blurdybloop (UIDNEXT MESSAGES uidvalidity unseen DELETED SIZE RECENT HIGHESTMODSEQ APPENDLIMIT MESSAGES)",
      { name: "STATUS", mailbox: "blurdybloop", items: ["UIDNEXT", "MESSAGES", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "RECENT", "HIGHESTMODSEQ", "APPENDLIMIT"] },
    ],
  ]);
  bad([
    ["A1 STATUS INBOX", "A1", "Expected SP"],
    ["A1 STATUS INBOX ()", "A1", "keyword"],
    ["A1 STATUS INBOX MESSAGES", "A1", '"("'],
    ["A1 STATUS INBOX (MESSAGES FOO)", "A1", "Unknown status item FOO"],
    ["A1 STATUS INBOX (MESSAGES  UNSEEN)", "A1", "keyword"],
  ]);
});

describe("APPEND (RFC 9051 §6.3.12, RFC 3516 literal8, RFC 6855 UTF8)", () => {
  const msg = "From: a@b\r\n\r\nhi\r\n";
  const app = (extra: object) => ({ name: "APPEND", mailbox: "INBOX", flags: [], date: null, message: bytes(msg), binary: false, utf8: false, ...extra });
  table([
    [`A1 APPEND INBOX {${msg.length}}\r\n${msg}`, app({})],
    [`A1 APPEND INBOX {${msg.length}+}\r\n${msg}`, app({})],
    [`A1 APPEND saved-messages (\\Seen) {${msg.length}}\r\n${msg}`, app({ mailbox: "saved-messages", flags: ["\\Seen"] })],
    [`A1 APPEND INBOX (\\seen \\DRAFT $Forwarded custom) {${msg.length}}\r\n${msg}`, app({ flags: ["\\Seen", "\\Draft", "$Forwarded", "custom"] })],
    [`A1 APPEND INBOX () {${msg.length}}\r\n${msg}`, app({})],
    [`A1 APPEND INBOX "17-Jul-1996 02:44:25 -0700" {${msg.length}}\r\n${msg}`, app({ date: "1996-07-17T02:44:25-07:00" })],
    [`A1 APPEND INBOX " 7-Feb-2024 23:59:60 +0000" {${msg.length}}\r\n${msg}`, app({ date: "2024-02-07T23:59:60+00:00" })],
    [`A1 APPEND INBOX "7-feb-2024 00:00:00 +0530" {${msg.length}}\r\n${msg}`, app({ date: "2024-02-07T00:00:00+05:30" })],
    [`A1 APPEND INBOX (\\Flagged) "29-Feb-2024 12:00:00 +0100" {${msg.length}}\r\n${msg}`, app({ flags: ["\\Flagged"], date: "2024-02-29T12:00:00+01:00" })],
    [`A1 APPEND INBOX ~{${msg.length}}\r\n${msg}`, app({ binary: true })],
    [`A1 APPEND INBOX UTF8 (~{${msg.length}+}\r\n${msg})`, app({ binary: true, utf8: true })],
    ["A1 APPEND INBOX {0}\r\n", app({ message: new Uint8Array(0) })],
  ]);
  test("literal8 may carry NUL", () => {
    expect(ok("A1 APPEND INBOX ~{3}\r\na\x00b")).toEqual(app({ message: bytes("a\x00b"), binary: true }));
  });
  bad([
    ["A1 APPEND INBOX", "A1", "Expected SP"],
    ['A1 APPEND INBOX "text"', "A1", "Invalid date-time"],
    ["A1 APPEND INBOX message", "A1", "Expected a literal"],
    ["A1 APPEND INBOX {3}\r\na\x00b", "A1", "NUL in message literal"],
    ['A1 APPEND INBOX "31-Feb-2024 00:00:00 +0000" {1}\r\nx', "A1", "Invalid date-time"],
    ['A1 APPEND INBOX "1-Feb-2024 24:00:00 +0000" {1}\r\nx', "A1", "Invalid date-time"],
    ['A1 APPEND INBOX "1-Feb-2024 00:00:00 +0060" {1}\r\nx', "A1", "Invalid date-time"],
    ['A1 APPEND INBOX "1-Foo-2024 00:00:00 +0000" {1}\r\nx', "A1", "Invalid date-time"],
    ['A1 APPEND INBOX "1-Feb-2024 00:00:00" {1}\r\nx', "A1", "Invalid date-time"],
    ["A1 APPEND INBOX (\\Seen {1}\r\nx", "A1", "Expected atom"],
    ["A1 APPEND INBOX (\\Seen) (\\Draft) {1}\r\nx", "A1", "Expected a literal"],
    ["A1 APPEND INBOX UTF8 ({1}\r\nx)", "A1", "UTF8 requires literal8"],
    ["A1 APPEND INBOX UTF8 (~{1}\r\nx", "A1", '")"'],
    ["A1 APPEND INBOX {1}\r\nx extra", "A1", "extra"],
    ["A1 APPEND INBOX {1}\r\nx {1}\r\ny", "A1", "extra"],
  ]);
});

describe("dispatch errors", () => {
  bad([
    ["A1 FROBNICATE", "A1", "Unknown command"],
    ["A1 UID NOOP", "A1", "UID NOOP is not a command"],
    ["A1 UID", "A1", "Expected SP"],
    ["A1", "A1", "Missing command"],
    ["A1 ", "A1", "Expected a keyword"],
    ["+A1 NOOP", null, "Invalid tag"],
    ["* NOOP", null, "Invalid tag"],
    ["A+1 NOOP", null, "Invalid tag"],
    ["A{1 NOOP", null, "Invalid tag"],
    ['"A1" NOOP', null, "Invalid tag"],
    [" A1 NOOP", null, "Invalid tag"],
    ["", null, "Empty command line"],
  ]);
});
