// SEARCH / UID SEARCH transcripts (RFC 9051 §6.4.4, RFC 3501 §6.4.4): every key on a small
// corpus (flags, addresses, headers, bodies and text in UTF-8, dates, sizes, sets, OR/NOT
// nesting), CHARSET, ESEARCH (RFC 4731), SEARCHRES $ (RFC 5182), MODSEQ (RFC 7162 §3.1.5).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestServer } from "../helpers/server.ts";
import { append, cmdLit, lines, message, open, RawImap, startImapServer, type ImapResponse } from "./imap-messages-helpers.ts";

let t: TestServer;
let c: RawImap;
let n = 0;

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const FILLER = "Filler line to make this message large enough for LARGER.\r\n".repeat(60);

/** The corpus, appended in this order to "Corpus" (UIDs 1..5). */
const CORPUS: { msg: string; flags?: string; date: string }[] = [
  {
    msg: message({ subject: "Quarterly report", date: "Mon, 1 Jan 2024 10:00:00 +0000", body: "The numbers look good.\r\n" }),
    flags: "\\Seen",
    date: "01-Jan-2024 10:00:00 +0000",
  },
  {
    msg: message({
      from: "=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.test>",
      subject: `=?UTF-8?B?${b64("Grüße aus Köln")}?=`,
      date: "Thu, 15 Feb 2024 23:30:00 -0500",
      headers: ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"],
      body: "Sch=C3=B6ne Gr=C3=BC=C3=9Fe vom Rhein.\r\n",
    }),
    flags: "\\Flagged $Work",
    date: "15-Feb-2024 12:00:00 +0000",
  },
  {
    msg: message({
      from: "carol@example.test",
      to: "alice@example.test",
      cc: "Dave <dave@example.test>",
      subject: "Lunch?",
      date: "Wed, 20 Mar 2024 09:00:00 +0100",
      headers: ["MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: base64"],
      body: (b64("Let's meet at noon.\r\n" + FILLER).match(/.{1,76}/g) ?? []).join("\r\n") + "\r\n",
    }),
    flags: "\\Answered",
    date: "20-Mar-2024 08:00:00 +0000",
  },
  {
    msg: message({
      from: "Bob <bob@example.test>",
      subject: "Re: Quarterly report",
      date: "Wed, 20 Mar 2024 23:00:00 +0000",
      headers: ["X-Priority: 1", "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b1"'],
      body:
        "--b1\r\nContent-Type: text/plain\r\n\r\nThe numbers are attached.\r\n" +
        `--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64("secretword inside")}\r\n--b1--\r\n`,
    }),
    flags: "\\Deleted \\Draft",
    date: "20-Mar-2024 23:59:59 +0000",
  },
  {
    msg: message({
      subject: "日本語の件名",
      bcc: "secret@example.test",
      date: "Mon, 1 Apr 2024 08:00:00 +0900",
      headers: ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"],
      body: "こんにちは世界\r\n",
    }),
    date: "01-Apr-2024 00:00:00 +0000",
  },
];

const sizes = CORPUS.map((m) => new TextEncoder().encode(m.msg).length);

beforeAll(async () => {
  t = await startImapServer();
  const s = await RawImap.login(t.port("imap"));
  expect((await s.cmd("CREATE Corpus")).status).toBe("OK");
  for (const m of CORPUS) await append(s, m.msg, { mailbox: "Corpus", flags: m.flags, date: m.date });
  s.close();
  // Read-only, so that no search test can change the corpus.
  c = (await open(t, "Corpus", { examine: true })).c;
});
afterAll(async () => {
  c.close();
  await t.stop();
});

/** The numbers of `* SEARCH` (the one response expected). */
function hits(r: ImapResponse): number[] {
  expect(r.status).toBe("OK");
  const l = lines(r, /^\* SEARCH\b/);
  expect(l).toHaveLength(1);
  return l[0]
    .slice(8)
    .split(" ")
    .filter((x) => /^\d+$/.test(x))
    .map(Number);
}

async function search(keys: string): Promise<number[]> {
  return hits(await c.cmd(`SEARCH ${keys}`));
}

async function searchUtf8(prefix: string, value: string): Promise<number[]> {
  return hits(await cmdLit(c, [`SEARCH CHARSET UTF-8 ${prefix} `, { lit: value }]));
}

describe("SEARCH keys (rev1 * SEARCH)", () => {
  test("ALL, and the response form", async () => {
    const r = await c.cmd("SEARCH ALL");
    expect(r.untagged).toEqual(["* SEARCH 1 2 3 4 5"]);
  });

  test("flag keys", async () => {
    expect(await search("SEEN")).toEqual([1]);
    expect(await search("UNSEEN")).toEqual([2, 3, 4, 5]);
    expect(await search("FLAGGED")).toEqual([2]);
    expect(await search("UNFLAGGED")).toEqual([1, 3, 4, 5]);
    expect(await search("ANSWERED")).toEqual([3]);
    expect(await search("UNANSWERED")).toEqual([1, 2, 4, 5]);
    expect(await search("DELETED")).toEqual([4]);
    expect(await search("UNDELETED")).toEqual([1, 2, 3, 5]);
    expect(await search("DRAFT")).toEqual([4]);
    expect(await search("UNDRAFT")).toEqual([1, 2, 3, 5]);
    expect(await search("KEYWORD $Work")).toEqual([2]);
    expect(await search("KEYWORD $work")).toEqual([2]);
    expect(await search("UNKEYWORD $Work")).toEqual([1, 3, 4, 5]);
    expect(await search("KEYWORD $Nothing")).toEqual([]);
  });

  test("address and subject keys, case-insensitive substrings, encoded words decoded", async () => {
    expect(await search("FROM alice")).toEqual([1, 5]);
    expect(await search("FROM ALICE@EXAMPLE")).toEqual([1, 5]);
    expect(await search("TO bob")).toEqual([1, 2, 4, 5]);
    expect(await search("CC dave")).toEqual([3]);
    expect(await search("BCC secret")).toEqual([5]);
    expect(await search('SUBJECT "quarterly REPORT"')).toEqual([1, 4]);
    expect(await searchUtf8("FROM", "Jörg")).toEqual([2]);
    expect(await searchUtf8("FROM", "müller")).toEqual([2]);
    expect(await searchUtf8("SUBJECT", "grüße")).toEqual([2]);
    expect(await searchUtf8("SUBJECT", "日本語")).toEqual([5]);
  });

  test("HEADER: substring of a named field; an empty string matches every message with the field", async () => {
    expect(await search("HEADER X-Priority 1")).toEqual([4]);
    expect(await search('HEADER x-priority ""')).toEqual([4]);
    expect(await search('HEADER Message-ID ""')).toEqual([1, 2, 3, 4, 5]);
    expect(await search("HEADER Content-Transfer-Encoding base64")).toEqual([3]);
    expect(await search('HEADER X-Missing ""')).toEqual([]);
  });

  test("BODY searches decoded text parts only; TEXT searches header and body", async () => {
    expect(await search("BODY numbers")).toEqual([1, 4]);
    expect(await search("BODY noon")).toEqual([3]);
    expect(await searchUtf8("BODY", "schöne grüße")).toEqual([2]);
    expect(await searchUtf8("BODY", "こんにちは")).toEqual([5]);
    // Not text: the attachment's content is not searched.
    expect(await search("BODY secretword")).toEqual([]);
    // Header text is not body text.
    expect(await search("BODY Lunch")).toEqual([]);
    expect(await search("TEXT Lunch")).toEqual([3]);
    expect(await search("TEXT numbers")).toEqual([1, 4]);
    expect(await searchUtf8("TEXT", "KÖLN")).toEqual([2]);
  });

  test("internal-date keys (BEFORE / ON / SINCE) ignore the time", async () => {
    expect(await search("BEFORE 1-Feb-2024")).toEqual([1]);
    expect(await search("BEFORE 1-Jan-2024")).toEqual([]);
    expect(await search("ON 20-Mar-2024")).toEqual([3, 4]);
    expect(await search('ON "15-Feb-2024"')).toEqual([2]);
    expect(await search("SINCE 20-Mar-2024")).toEqual([3, 4, 5]);
    expect(await search("SINCE 21-Mar-2024")).toEqual([5]);
  });

  test("sent-date keys use the Date header's calendar date as written", async () => {
    // 15 Feb 2024 23:30 -0500 is 16 Feb in UTC, but SENTON compares the date as written.
    expect(await search("SENTON 15-Feb-2024")).toEqual([2]);
    expect(await search("SENTBEFORE 15-Feb-2024")).toEqual([1]);
    expect(await search("SENTSINCE 20-Mar-2024")).toEqual([3, 4, 5]);
    expect(await search("SENTON 1-Apr-2024")).toEqual([5]);
  });

  test("LARGER / SMALLER are strict comparisons with RFC822.SIZE", async () => {
    expect(sizes[2]).toBeGreaterThan(3000);
    expect(await search("LARGER 3000")).toEqual([3]);
    expect(await search("SMALLER 3000")).toEqual([1, 2, 4, 5]);
    expect(await search(`LARGER ${sizes[2]}`)).toEqual([]);
    expect(await search(`SMALLER ${sizes[2]}`)).not.toContain(3);
    expect(await search(`LARGER ${sizes[2] - 1}`)).toEqual([3]);
  });

  test("sequence sets and UID sets", async () => {
    expect(await search("2:4")).toEqual([2, 3, 4]);
    expect(await search("4:2")).toEqual([2, 3, 4]);
    expect(await search("1,5")).toEqual([1, 5]);
    expect(await search("*")).toEqual([5]);
    expect(await search("UID 2:3")).toEqual([2, 3]);
    expect(await search("UID *")).toEqual([5]);
    expect(await search("UID 6:100")).toEqual([]);
    // Out of range sequence numbers in a SEARCH key match nothing (no BAD).
    expect(await search("7:9")).toEqual([]);
  });

  test("OR / NOT nesting and parenthesised groups; several keys are ANDed", async () => {
    expect(await search("OR SEEN FLAGGED")).toEqual([1, 2]);
    expect(await search("NOT OR SEEN FLAGGED")).toEqual([3, 4, 5]);
    expect(await search("NOT NOT SEEN")).toEqual([1]);
    expect(await search("OR OR SEEN FLAGGED ANSWERED")).toEqual([1, 2, 3]);
    expect(await search("OR SEEN (FROM bob DRAFT)")).toEqual([1, 4]);
    expect(await search("(SINCE 1-Mar-2024 NOT DELETED)")).toEqual([3, 5]);
    expect(await search("UNSEEN FROM alice")).toEqual([5]);
    expect(await search("NOT (OR BODY numbers SUBJECT lunch)")).toEqual([2, 5]);
    expect(await search("OR NOT SMALLER 3000 (KEYWORD $Work OR BODY rhein SENTON 1-Apr-2024)")).toEqual([2, 3]);
    expect(await search("((((SEEN))))")).toEqual([1]);
  });

  test("RECENT / NEW / OLD (rev1): messages that arrived while selected", async () => {
    const s = await RawImap.login(t.port("imap"));
    await s.cmd("CREATE Recent1");
    await append(s, message(), { mailbox: "Recent1", flags: "\\Seen" });
    const { c: r } = await open(t, "Recent1");
    expect(hits(await r.cmd("SEARCH RECENT"))).toEqual([]);
    expect(hits(await r.cmd("SEARCH OLD"))).toEqual([1]);
    await append(s, message(), { mailbox: "Recent1" });
    await append(s, message(), { mailbox: "Recent1", flags: "\\Seen" });
    expect((await r.cmd("NOOP")).untagged).toEqual(["* 3 EXISTS", "* 2 RECENT"]);
    expect(hits(await r.cmd("SEARCH RECENT"))).toEqual([2, 3]);
    expect(hits(await r.cmd("SEARCH NEW"))).toEqual([2]);
    expect(hits(await r.cmd("SEARCH OLD"))).toEqual([1]);
    s.close();
    r.close();
  });

  test("UID SEARCH answers with UIDs", async () => {
    const s = await RawImap.login(t.port("imap"));
    await s.cmd("CREATE Uids1");
    for (let i = 0; i < 4; i++) await append(s, message(), { mailbox: "Uids1", flags: i % 2 ? "\\Seen" : undefined });
    const { c: u } = await open(t, "Uids1");
    await u.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)");
    await u.cmd("EXPUNGE");
    // Sequence 1..3 now hold UIDs 2..4.
    expect(hits(await u.cmd("SEARCH SEEN"))).toEqual([1, 3]);
    expect(hits(await u.cmd("UID SEARCH SEEN"))).toEqual([2, 4]);
    expect(hits(await u.cmd("UID SEARCH 1"))).toEqual([2]);
    expect(hits(await u.cmd("SEARCH UID 4"))).toEqual([3]);
    s.close();
    u.close();
  });

  test("an empty result is a bare * SEARCH", async () => {
    const r = await c.cmd("SEARCH FROM nobody-at-all");
    expect(r.untagged).toEqual(["* SEARCH"]);
  });

  test("CHARSET: UTF-8 and US-ASCII accepted, others NO [BADCHARSET]; bad syntax is BAD", async () => {
    expect(hits(await c.cmd("SEARCH CHARSET US-ASCII SUBJECT lunch"))).toEqual([3]);
    expect(hits(await c.cmd("SEARCH CHARSET utf-8 SUBJECT lunch"))).toEqual([3]);
    for (const cs of ["ISO-8859-1", "X-NO-SUCH-CHARSET"]) {
      const r = await c.cmd(`SEARCH CHARSET ${cs} SUBJECT lunch`);
      expect(r.status).toBe("NO");
      expect(r.text).toMatch(/^\[BADCHARSET \(UTF-8( US-ASCII)?\)\]/);
    }
    expect((await c.cmd("SEARCH NOSUCHKEY")).status).toBe("BAD");
    expect((await c.cmd("SEARCH BEFORE 31-Feb-2024")).status).toBe("BAD");
    expect((await c.cmd("SEARCH OR SEEN")).status).toBe("BAD");
  });

  test("a large message: BODY finds text at its end; header keys still work", async () => {
    const s = await RawImap.login(t.port("imap"));
    await s.cmd("CREATE Big1");
    const big = message({ subject: "big one", body: "x".repeat(76).concat("\r\n").repeat(40_000) + "needle-at-the-end\r\n" });
    await append(s, big, { mailbox: "Big1" });
    await append(s, message({ subject: "small one" }), { mailbox: "Big1" });
    const { c: b } = await open(t, "Big1", { examine: true });
    expect(hits(await b.cmd("SEARCH BODY needle-at-the-end"))).toEqual([1]);
    expect(hits(await b.cmd("SEARCH SUBJECT big"))).toEqual([1]);
    expect(hits(await b.cmd("SEARCH LARGER 1000000"))).toEqual([1]);
    s.close();
    b.close();
  });
});

describe("ESEARCH (RETURN, and IMAP4rev2)", () => {
  test("RETURN (MIN MAX COUNT ALL), ALL as a compressed set", async () => {
    const r = await c.cmd("SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN");
    expect(r.untagged).toEqual([`* ESEARCH (TAG "${r.tag}") MIN 2 MAX 5 COUNT 4 ALL 2:5`]);
    const u = await c.cmd("UID SEARCH RETURN (ALL COUNT) OR SEEN OR ANSWERED BCC secret");
    expect(u.untagged).toEqual([`* ESEARCH (TAG "${u.tag}") UID COUNT 3 ALL 1,3,5`]);
  });

  test("RETURN () means ALL; no match leaves out MIN, MAX and ALL but not COUNT", async () => {
    const r = await c.cmd("SEARCH RETURN () FLAGGED");
    expect(r.untagged).toEqual([`* ESEARCH (TAG "${r.tag}") ALL 2`]);
    const none = await c.cmd("SEARCH RETURN (MIN MAX ALL COUNT) KEYWORD $Nothing");
    expect(none.untagged).toEqual([`* ESEARCH (TAG "${none.tag}") COUNT 0`]);
    const bare = await c.cmd("UID SEARCH RETURN (MIN) KEYWORD $Nothing");
    expect(bare.untagged).toEqual([`* ESEARCH (TAG "${bare.tag}") UID`]);
    expect((await c.cmd("SEARCH RETURN (BOGUS) ALL")).status).toBe("BAD");
  });

  test("IMAP4rev2: SEARCH answers with ESEARCH (ALL implied), never * SEARCH", async () => {
    const { c: r2 } = await open(t, "Corpus", { examine: true, enable: "IMAP4rev2" });
    const r = await r2.cmd("SEARCH UNSEEN");
    expect(r.untagged).toEqual([`* ESEARCH (TAG "${r.tag}") ALL 2:5`]);
    const u = await r2.cmd("UID SEARCH ALL");
    expect(u.untagged).toEqual([`* ESEARCH (TAG "${u.tag}") UID ALL 1:5`]);
    const none = await r2.cmd("SEARCH KEYWORD $Nothing");
    expect(none.untagged).toEqual([`* ESEARCH (TAG "${none.tag}")`]);
    const m = await r2.cmd("SEARCH RETURN (MIN COUNT) SEEN");
    expect(m.untagged).toEqual([`* ESEARCH (TAG "${m.tag}") MIN 1 COUNT 1`]);
    // UTF-8 in a quoted string once IMAP4rev2 is on (RFC 9051 §4.3).
    const q = await r2.cmd('SEARCH SUBJECT "Grüße"');
    expect(q.untagged).toEqual([`* ESEARCH (TAG "${q.tag}") ALL 2`]);
    r2.close();
  });
});

describe("SEARCHRES ($)", () => {
  test("RETURN (SAVE) alone sends no ESEARCH; $ then works in FETCH, SEARCH and UID SEARCH", async () => {
    const r = await c.cmd("SEARCH RETURN (SAVE) OR FLAGGED ANSWERED");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual([]);
    expect((await c.cmd("FETCH $ (UID)")).untagged).toEqual(["* 2 FETCH (UID 2)", "* 3 FETCH (UID 3)"]);
    expect(await search("$")).toEqual([2, 3]);
    expect(await search("NOT $")).toEqual([1, 4, 5]);
    expect(hits(await c.cmd("UID SEARCH UID $"))).toEqual([2, 3]);
    expect(await search("OR $ SEEN")).toEqual([1, 2, 3]);
  });

  test("SAVE with MIN/MAX saves only those; with ALL or COUNT the whole result", async () => {
    const r = await c.cmd("SEARCH RETURN (SAVE MIN MAX) UNSEEN");
    expect(r.untagged).toEqual([`* ESEARCH (TAG "${r.tag}") MIN 2 MAX 5`]);
    expect(await search("$")).toEqual([2, 5]);
    await c.cmd("SEARCH RETURN (SAVE MIN) UNSEEN");
    expect(await search("$")).toEqual([2]);
    const a = await c.cmd("SEARCH RETURN (SAVE COUNT) UNSEEN");
    expect(a.untagged).toEqual([`* ESEARCH (TAG "${a.tag}") COUNT 4`]);
    expect(await search("$")).toEqual([2, 3, 4, 5]);
  });

  test("$ in the SAVE search refers to the previous result", async () => {
    await c.cmd("SEARCH RETURN (SAVE) UNSEEN");
    await c.cmd("SEARCH RETURN (SAVE) $ SMALLER 3000");
    expect(await search("$")).toEqual([2, 4, 5]);
  });

  test("a failed SAVE search empties $; a new SELECT empties $", async () => {
    await c.cmd("SEARCH RETURN (SAVE) ALL");
    const bad = await c.cmd("SEARCH RETURN (SAVE) CHARSET ISO-8859-1 ALL");
    expect(bad.status).toBe("NO");
    expect(await search("$")).toEqual([]);
    await c.cmd("SEARCH RETURN (SAVE) ALL");
    expect(await search("$")).toEqual([1, 2, 3, 4, 5]);
    await c.cmd("EXAMINE Corpus");
    expect(await search("$")).toEqual([]);
  });

  test("$ drops messages that were expunged since", async () => {
    const s = await RawImap.login(t.port("imap"));
    await s.cmd("CREATE Saved1");
    for (let i = 0; i < 3; i++) await append(s, message(), { mailbox: "Saved1" });
    const { c: w } = await open(t, "Saved1");
    await w.cmd("SEARCH RETURN (SAVE) ALL");
    await w.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)");
    await w.cmd("EXPUNGE");
    expect((await w.cmd("FETCH $ (UID)")).untagged).toEqual(["* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)"]);
    s.close();
    w.close();
  });
});

describe("CONDSTORE MODSEQ", () => {
  test("MODSEQ key: * SEARCH ... (MODSEQ n) with the highest MODSEQ of the matches; ESEARCH MODSEQ", async () => {
    const s = await RawImap.login(t.port("imap"));
    await s.cmd(`CREATE Modseq${++n}`);
    for (let i = 0; i < 4; i++) await append(s, message(), { mailbox: `Modseq${n}` });
    const { c: m } = await open(t, `Modseq${n}`, { select: "(CONDSTORE)" });
    const f = await m.cmd("FETCH 1:4 (MODSEQ)");
    const ms = f.untagged.map((l) => Number(/MODSEQ \((\d+)\)/.exec(l)![1]));
    const top = Math.max(...ms);
    const st = await m.cmd("STORE 2 +FLAGS (\\Flagged)");
    const m2 = Number(/MODSEQ \((\d+)\)/.exec(st.untagged[0])![1]);
    const st3 = await m.cmd("STORE 3 +FLAGS (\\Seen)");
    const m3 = Number(/MODSEQ \((\d+)\)/.exec(st3.untagged[0])![1]);
    expect(m3).toBeGreaterThan(m2);
    expect(m2).toBeGreaterThan(top);

    let r = await m.cmd(`SEARCH MODSEQ ${m2}`);
    expect(r.untagged).toEqual([`* SEARCH 2 3 (MODSEQ ${m3})`]);
    r = await m.cmd(`UID SEARCH MODSEQ ${m3} UNSEEN`);
    expect(r.untagged).toEqual(["* SEARCH"]);
    r = await m.cmd(`SEARCH MODSEQ "/flags/\\\\Flagged" all ${m2}`);
    expect(r.untagged).toEqual([`* SEARCH 2 3 (MODSEQ ${m3})`]);
    r = await m.cmd(`SEARCH RETURN (ALL COUNT) MODSEQ ${m2}`);
    expect(r.untagged).toEqual([`* ESEARCH (TAG "${r.tag}") COUNT 2 ALL 2:3 MODSEQ ${m3}`]);
    r = await m.cmd(`SEARCH RETURN (MIN) MODSEQ ${m2}`);
    expect(r.untagged).toEqual([`* ESEARCH (TAG "${r.tag}") MIN 2 MODSEQ ${m2}`]);
    // A search without MODSEQ says nothing of it.
    expect((await m.cmd("SEARCH FLAGGED")).untagged).toEqual(["* SEARCH 2"]);
    s.close();
    m.close();
  });

  test("SEARCH MODSEQ turns CONDSTORE on: later FETCH responses carry MODSEQ", async () => {
    const { c: m } = await open(t, "Corpus", { examine: true });
    expect((await m.cmd("FETCH 1 (FLAGS)")).untagged[0]).not.toContain("MODSEQ");
    expect((await m.cmd("SEARCH MODSEQ 1")).untagged[0]).toMatch(/^\* SEARCH 1 2 3 4 5 \(MODSEQ \d+\)$/);
    expect((await m.cmd("FETCH 1 (FLAGS)")).untagged[0]).toMatch(/MODSEQ \(\d+\)/);
    m.close();
  });
});

describe("SEARCH and other sessions", () => {
  test("SEARCH sends no EXPUNGE; UID SEARCH may; new messages are announced", async () => {
    const s = await RawImap.login(t.port("imap"));
    await s.cmd("CREATE Others1");
    for (let i = 0; i < 3; i++) await append(s, message(), { mailbox: "Others1" });
    const { c: a } = await open(t, "Others1");
    const { c: b } = await open(t, "Others1");
    await a.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)");
    await a.cmd("EXPUNGE");
    await append(s, message({ subject: "fresh" }), { mailbox: "Others1" });
    const r = await b.cmd("SEARCH ALL");
    expect(lines(r, /EXPUNGE/)).toEqual([]);
    // UID 1 is gone: it no longer matches, though its number 1 is still valid for b.
    expect(lines(r, /^\* SEARCH/)).toEqual(["* SEARCH 2 3"]);
    expect(r.untagged).toContain("* 4 EXISTS");
    const u = await b.cmd("UID SEARCH ALL");
    expect(u.untagged).toEqual(["* SEARCH 2 3 4", "* 1 EXPUNGE"]);
    s.close();
    a.close();
    b.close();
  });

  test("SEARCH in an empty mailbox", async () => {
    const s = await RawImap.login(t.port("imap"));
    await s.cmd("CREATE Empty1");
    const { c: e } = await open(t, "Empty1");
    expect((await e.cmd("SEARCH ALL")).untagged).toEqual(["* SEARCH"]);
    const r = await e.cmd("SEARCH RETURN (MIN MAX COUNT) ALL");
    expect(r.untagged).toEqual([`* ESEARCH (TAG "${r.tag}") COUNT 0`]);
    expect((await e.cmd("SEARCH 1")).status).toBe("OK");
    s.close();
    e.close();
  });
});
