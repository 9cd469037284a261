// STORE / UID STORE transcripts (RFC 9051 §6.4.6, RFC 3501 §6.4.6) with CONDSTORE
// UNCHANGEDSINCE (RFC 7162 §3.1.3): responses per form, read-only, \Recent, two sessions
// storing at once (nothing lost), and what a second selected session is told, and when.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestServer } from "../helpers/server.ts";
import { append, flagsOf, lines, message, open, RawImap, startImapServer } from "./imap-messages-helpers.ts";

let t: TestServer;
let n = 0;
beforeAll(async () => {
  t = await startImapServer();
});
afterAll(async () => {
  await t.stop();
});

/** A new mailbox with `count` messages (UIDs 1..count); returns its name. */
async function seeded(count: number, flags?: string): Promise<string> {
  const c = await RawImap.login(t.port("imap"));
  const name = `S${++n}`;
  expect((await c.cmd(`CREATE ${name}`)).status).toBe("OK");
  for (let i = 0; i < count; i++) await append(c, message({ subject: `m${i + 1}` }), { mailbox: name, flags });
  c.close();
  return name;
}

describe("STORE rev1", () => {
  test("+FLAGS, -FLAGS, FLAGS: one FETCH (FLAGS) per message of the set", async () => {
    const { c } = await open(t, await seeded(3));
    let r = await c.cmd("STORE 1:2 +FLAGS (\\Seen $Important)");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual(["* 1 FETCH (FLAGS (\\Seen $Important))", "* 2 FETCH (FLAGS (\\Seen $Important))"]);
    r = await c.cmd("STORE 2 -FLAGS (\\Seen)");
    expect(r.untagged).toEqual(["* 2 FETCH (FLAGS ($Important))"]);
    r = await c.cmd("STORE 3 FLAGS (\\Answered \\Draft)");
    expect(r.untagged).toEqual(["* 3 FETCH (FLAGS (\\Answered \\Draft))"]);
    // A message that needed no change still gets its flags (RFC 9051 §6.4.6).
    r = await c.cmd("STORE 1 +FLAGS \\Seen");
    expect(r.untagged).toEqual(["* 1 FETCH (FLAGS (\\Seen $Important))"]);
    r = await c.cmd("STORE 1:* FLAGS ()");
    expect(r.untagged).toEqual(["* 1 FETCH (FLAGS ())", "* 2 FETCH (FLAGS ())", "* 3 FETCH (FLAGS ())"]);
    c.close();
  });

  test(".SILENT sends no FETCH; the change is made", async () => {
    const { c } = await open(t, await seeded(2));
    const r = await c.cmd("STORE 1:2 +FLAGS.SILENT (\\Flagged)");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual([]);
    expect(await flagsOf(c, 2)).toEqual(["\\Flagged"]);
    const r2 = await c.cmd("STORE 2 -FLAGS.SILENT (\\Flagged)");
    expect(r2.untagged).toEqual([]);
    expect(await flagsOf(c, 2)).toEqual([]);
    c.close();
  });

  test("UID STORE: responses carry the UID; UIDs that do not exist are ignored", async () => {
    const { c } = await open(t, await seeded(3));
    const r = await c.cmd("UID STORE 2:3,99 +FLAGS (\\Deleted)");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual(["* 2 FETCH (UID 2 FLAGS (\\Deleted))", "* 3 FETCH (UID 3 FLAGS (\\Deleted))"]);
    const none = await c.cmd("UID STORE 50:60 +FLAGS (\\Seen)");
    expect(none.status).toBe("OK");
    expect(none.untagged).toEqual([]);
    c.close();
  });

  test("system flags are case-insensitive; keywords keep their spelling", async () => {
    const { c } = await open(t, await seeded(1));
    const r = await c.cmd("STORE 1 +FLAGS (\\SEEN \\flagged Work)");
    expect(r.untagged).toEqual(["* 1 FETCH (FLAGS (\\Seen \\Flagged Work))"]);
    const r2 = await c.cmd("STORE 1 -FLAGS (work)");
    expect(r2.untagged).toEqual(["* 1 FETCH (FLAGS (\\Seen \\Flagged))"]);
    c.close();
  });

  test("a message number beyond EXISTS is BAD; \\Recent and unknown system flags are BAD", async () => {
    const { c } = await open(t, await seeded(2));
    expect((await c.cmd("STORE 3 +FLAGS (\\Seen)")).status).toBe("BAD");
    expect((await c.cmd("STORE 1:5 +FLAGS (\\Seen)")).status).toBe("BAD");
    expect((await c.cmd("STORE 1 +FLAGS (\\Recent)")).status).toBe("BAD");
    expect((await c.cmd("STORE 1 FLAGS (\\Bogus)")).status).toBe("BAD");
    expect((await c.cmd("STORE 1 +FLAGS.NOTSILENT (\\Seen)")).status).toBe("BAD");
    expect(await flagsOf(c, 1)).toEqual([]);
    c.close();
  });

  test("EXAMINE (read-only): STORE is NO and changes nothing", async () => {
    const name = await seeded(1);
    const { c } = await open(t, name, { examine: true });
    const r = await c.cmd("STORE 1 +FLAGS (\\Seen)");
    expect(r.status).toBe("NO");
    expect(r.untagged).toEqual([]);
    expect(await flagsOf(c, 1)).toEqual([]);
    c.close();
  });

  test("STORE is not valid without a selected mailbox", async () => {
    const c = await RawImap.login(t.port("imap"));
    expect((await c.cmd("STORE 1 +FLAGS (\\Seen)")).status).toBe("BAD");
    c.close();
  });

  test("rev1 shows \\Recent in FLAGS of messages that arrived while selected", async () => {
    const name = await seeded(1);
    const { c } = await open(t, name);
    const other = await RawImap.login(t.port("imap"));
    await append(other, message(), { mailbox: name });
    const noop = await c.cmd("NOOP");
    expect(noop.untagged).toEqual(["* 2 EXISTS", "* 1 RECENT"]);
    const r = await c.cmd("STORE 1:2 +FLAGS (\\Seen)");
    expect(r.untagged).toEqual(["* 1 FETCH (FLAGS (\\Seen))", "* 2 FETCH (FLAGS (\\Seen \\Recent))"]);
    c.close();
    other.close();
  });
});

describe("STORE rev2", () => {
  test("IMAP4rev2: same responses, never \\Recent", async () => {
    const name = await seeded(1);
    const { c } = await open(t, name, { enable: "IMAP4rev2" });
    const other = await RawImap.login(t.port("imap"));
    await append(other, message(), { mailbox: name });
    expect((await c.cmd("NOOP")).untagged).toEqual(["* 2 EXISTS"]);
    const r = await c.cmd("STORE 1:2 +FLAGS (\\Seen)");
    expect(r.untagged).toEqual(["* 1 FETCH (FLAGS (\\Seen))", "* 2 FETCH (FLAGS (\\Seen))"]);
    const u = await c.cmd("UID STORE 2 -FLAGS (\\Seen)");
    expect(u.untagged).toEqual(["* 2 FETCH (UID 2 FLAGS ())"]);
    c.close();
    other.close();
  });
});

describe("two sessions", () => {
  test("concurrent STOREs of different flags on one message lose nothing", async () => {
    const name = await seeded(1);
    const { c: a } = await open(t, name);
    const { c: b } = await open(t, name);
    // Pipelined on both connections at once: 2×20 read-modify-writes racing on one row.
    const N = 20;
    let wire = "";
    for (let i = 0; i < N; i++) wire += `A${i} STORE 1 +FLAGS.SILENT (a${i})\r\n`;
    let wire2 = "";
    for (let i = 0; i < N; i++) wire2 += `B${i} STORE 1 +FLAGS.SILENT (b${i})\r\n`;
    a.send(wire);
    b.send(wire2);
    await Promise.all([a.until(`A${N - 1}`, 15000), b.until(`B${N - 1}`, 15000)]);
    // Meanwhile a removal of something else does not undo any addition.
    const flags = await flagsOf(a, 1);
    for (let i = 0; i < N; i++) {
      expect(flags).toContain(`a${i}`);
      expect(flags).toContain(`b${i}`);
    }
    expect(flags).toHaveLength(2 * N);
    a.close();
    b.close();
  });

  test("+FLAGS and -FLAGS of different flags at once compose", async () => {
    const name = await seeded(1, "\\Seen \\Flagged");
    const { c: a } = await open(t, name);
    const { c: b } = await open(t, name);
    a.send("X1 STORE 1 -FLAGS.SILENT (\\Seen)\r\n");
    b.send("Y1 STORE 1 +FLAGS.SILENT (\\Answered)\r\n");
    await Promise.all([a.until("X1"), b.until("Y1")]);
    expect(await flagsOf(a, 1)).toEqual(["\\Answered", "\\Flagged"]);
    a.close();
    b.close();
  });

  test("the other session learns the new flags at its next NOOP, with the UID", async () => {
    const name = await seeded(3);
    const { c: a } = await open(t, name);
    const { c: b } = await open(t, name);
    await a.cmd("STORE 2 +FLAGS (\\Flagged)");
    const r = await b.cmd("NOOP");
    expect(r.untagged).toEqual(["* 2 FETCH (UID 2 FLAGS (\\Flagged))"]);
    // Told once.
    expect((await b.cmd("NOOP")).untagged).toEqual([]);
    // Its own STORE is not echoed back to it at NOOP.
    await a.cmd("NOOP");
    expect((await a.cmd("NOOP")).untagged).toEqual([]);
    a.close();
    b.close();
  });

  test("STORE (not UID STORE) sends no EXPUNGE for another session's expunge; NOOP does", async () => {
    const name = await seeded(3);
    const { c: a } = await open(t, name);
    const { c: b } = await open(t, name);
    await a.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)");
    await a.cmd("EXPUNGE");
    const s = await b.cmd("STORE 1 +FLAGS (\\Seen)");
    expect(lines(s, /EXPUNGE/)).toEqual([]);
    expect(s.untagged).toContain("* 1 FETCH (FLAGS (\\Seen))");
    // Message 3 (UID 3) is still number 3 for b until the EXPUNGE is announced.
    const s3 = await b.cmd("STORE 3 +FLAGS (\\Seen)");
    expect(lines(s3, /EXPUNGE/)).toEqual([]);
    expect(s3.untagged).toContain("* 3 FETCH (FLAGS (\\Seen))");
    const n = await b.cmd("NOOP");
    expect(n.untagged).toContain("* 2 EXPUNGE");
    // UID STORE may announce expunges (RFC 9051 §7.5.1).
    await a.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)");
    await a.cmd("EXPUNGE");
    const u = await b.cmd("UID STORE 3 +FLAGS (\\Answered)");
    // The FETCH uses the numbers from before the EXPUNGE that follows it.
    expect(u.untagged).toEqual(["* 2 FETCH (UID 3 FLAGS (\\Seen \\Answered))", "* 1 EXPUNGE"]);
    a.close();
    b.close();
  });
});

describe("INBOX shared by two sessions", () => {
  test("the second session sees EXISTS, FETCH FLAGS and EXPUNGE at NOOP, and no EXPUNGE inside a FETCH under way", async () => {
    const user = "bob@example.test";
    const seed = await RawImap.login(t.port("imap"), user);
    const body = "y".repeat(76).concat("\r\n").repeat(700);
    for (let i = 0; i < 30; i++) await append(seed, message({ subject: `inbox ${i + 1}`, body }));
    const { c: a } = await open(t, "INBOX", { user });
    const { c: b } = await open(t, "INBOX", { user });

    await append(seed, message({ subject: "late" }));
    await a.cmd("STORE 1 +FLAGS (\\Flagged)");
    const n1 = await b.cmd("NOOP");
    expect(n1.untagged).toEqual(["* 31 EXISTS", "* 1 RECENT", "* 1 FETCH (UID 1 FLAGS (\\Flagged))"]);

    // b starts a large FETCH; a expunges ten messages while it is being answered.
    b.send("F1 FETCH 1:* (UID BODY.PEEK[])\r\n");
    await a.cmd("STORE 1:10 +FLAGS.SILENT (\\Deleted)");
    const ex = await a.cmd("EXPUNGE");
    expect(lines(ex, /EXPUNGE/)).toHaveLength(10);
    const f = await b.until("F1", 15000);
    expect(f.status).toBe("OK");
    expect(lines(f, /EXPUNGE/)).toEqual([]);
    // Whatever it fetched kept the numbering it had before the FETCH.
    for (const l of lines(f, /^\* \d+ FETCH/)) {
      const [, seq, uid] = /^\* (\d+) FETCH \(UID (\d+)/.exec(l)!;
      expect(seq).toBe(uid);
    }
    const n2 = await b.cmd("NOOP");
    expect(n2.untagged).toEqual(Array(10).fill("* 1 EXPUNGE"));
    expect((await b.cmd("FETCH 1 (UID)")).untagged).toEqual(["* 1 FETCH (UID 11)"]);
    seed.close();
    a.close();
    b.close();
  });
});

describe("CONDSTORE", () => {
  const modseqOf = (l: string) => Number(/MODSEQ \((\d+)\)/.exec(l)![1]);

  test("SELECT (CONDSTORE): FETCH responses of STORE carry MODSEQ; .SILENT still reports MODSEQ", async () => {
    const { c } = await open(t, await seeded(2), { select: "(CONDSTORE)" });
    const r = await c.cmd("STORE 1 +FLAGS (\\Seen)");
    expect(r.untagged[0]).toMatch(/^\* 1 FETCH \(FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$/);
    const m1 = modseqOf(r.untagged[0]);
    const s = await c.cmd("STORE 2 +FLAGS.SILENT (\\Seen)");
    expect(s.untagged).toHaveLength(1);
    expect(s.untagged[0]).toMatch(/^\* 2 FETCH \(MODSEQ \(\d+\)\)$/);
    expect(modseqOf(s.untagged[0])).toBeGreaterThan(m1);
    // A no-op .SILENT store changes no MODSEQ and reports nothing.
    expect((await c.cmd("STORE 2 +FLAGS.SILENT (\\Seen)")).untagged).toEqual([]);
    const u = await c.cmd("UID STORE 2 +FLAGS.SILENT (\\Flagged)");
    expect(u.untagged[0]).toMatch(/^\* 2 FETCH \(UID 2 MODSEQ \(\d+\)\)$/);
    c.close();
  });

  test("UNCHANGEDSINCE: passes, fails with [MODIFIED], and UNCHANGEDSINCE 0 always fails", async () => {
    const { c } = await open(t, await seeded(3), { select: "(CONDSTORE)" });
    const f = await c.cmd("FETCH 1:3 (MODSEQ)");
    const ms = f.untagged.map(modseqOf);
    // Message 2 changes after the client read its MODSEQ.
    const ch = await c.cmd("STORE 2 +FLAGS (\\Answered)");
    const m2 = modseqOf(ch.untagged[0]);
    const max = Math.max(...ms);
    const r = await c.cmd(`STORE 1:3 (UNCHANGEDSINCE ${max}) +FLAGS (\\Deleted)`);
    expect(r.status).toBe("OK");
    expect(r.text).toMatch(/^\[MODIFIED 2\] /);
    expect(r.untagged.map((l) => l.replace(/MODSEQ \(\d+\)/, "MODSEQ (x)"))).toEqual(["* 1 FETCH (FLAGS (\\Deleted) MODSEQ (x))", "* 3 FETCH (FLAGS (\\Deleted) MODSEQ (x))"]);
    expect(await flagsOf(c, 2)).toEqual(["\\Answered"]);
    // UID STORE lists UIDs; a value at the current MODSEQ passes.
    const u = await c.cmd(`UID STORE 2 (UNCHANGEDSINCE ${m2}) +FLAGS.SILENT (\\Seen)`);
    expect(u.text).not.toContain("MODIFIED");
    const z = await c.cmd("UID STORE 1:3 (UNCHANGEDSINCE 0) +FLAGS (\\Flagged)");
    expect(z.text).toMatch(/^\[MODIFIED 1:3\] /);
    expect(z.untagged).toEqual([]);
    c.close();
  });

  test("STORE with UNCHANGEDSINCE turns CONDSTORE on for the mailbox", async () => {
    const { c } = await open(t, await seeded(1));
    const before = await c.cmd("FETCH 1 (FLAGS)");
    expect(before.untagged[0]).not.toContain("MODSEQ");
    const r = await c.cmd("STORE 1 (UNCHANGEDSINCE 99999) +FLAGS (\\Seen)");
    expect(r.untagged[0]).toMatch(/MODSEQ \(\d+\)/);
    const after = await c.cmd("FETCH 1 (FLAGS)");
    expect(after.untagged[0]).toMatch(/MODSEQ \(\d+\)/);
    c.close();
  });

  test("two conditional STOREs racing on one message: exactly one wins", async () => {
    const name = await seeded(1);
    const { c: a } = await open(t, name, { select: "(CONDSTORE)" });
    const { c: b } = await open(t, name, { select: "(CONDSTORE)" });
    const m = modseqOf((await a.cmd("FETCH 1 (MODSEQ)")).untagged[0]);
    a.send(`X STORE 1 (UNCHANGEDSINCE ${m}) +FLAGS (from-a)\r\n`);
    b.send(`Y STORE 1 (UNCHANGEDSINCE ${m}) +FLAGS (from-b)\r\n`);
    const [ra, rb] = await Promise.all([a.until("X"), b.until("Y")]);
    const failed = [ra, rb].filter((r) => r.text.startsWith("[MODIFIED 1]"));
    expect(failed).toHaveLength(1);
    const flags = await flagsOf(a, 1);
    expect(flags).toHaveLength(1);
    a.close();
    b.close();
  });

  test("ENABLE CONDSTORE: another session's flag change arrives with MODSEQ", async () => {
    const name = await seeded(1);
    const { c: a } = await open(t, name);
    const { c: b } = await open(t, name, { enable: "CONDSTORE" });
    await a.cmd("STORE 1 +FLAGS (\\Seen)");
    const r = await b.cmd("NOOP");
    expect(r.untagged[0]).toMatch(/^\* 1 FETCH \(UID 1 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$/);
    a.close();
    b.close();
  });
});

describe("STORE with $ (SEARCHRES)", () => {
  test("STORE $ acts on the saved UIDs", async () => {
    const { c } = await open(t, await seeded(4));
    await c.cmd("STORE 2,4 +FLAGS.SILENT (\\Flagged)");
    const s = await c.cmd("SEARCH RETURN (SAVE) FLAGGED");
    expect(s.untagged).toEqual([]);
    const r = await c.cmd("STORE $ +FLAGS (\\Seen)");
    expect(r.untagged).toEqual(["* 2 FETCH (FLAGS (\\Flagged \\Seen))", "* 4 FETCH (FLAGS (\\Flagged \\Seen))"]);
    c.close();
  });
});
