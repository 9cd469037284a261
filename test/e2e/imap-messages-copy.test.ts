// EXPUNGE / UID EXPUNGE (RFC 9051 §6.4.3, RFC 4315 §2.1), COPY / UID COPY with COPYUID
// (RFC 9051 §6.4.7, RFC 4315 §3) and MOVE / UID MOVE (RFC 6851) transcripts, rev1 and rev2,
// with QRESYNC VANISHED (RFC 7162 §3.2.10) and what other selected sessions are told.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestServer } from "../helpers/server.ts";
import { append, flagsOf, lines, message, open, RawImap, startImapServer, uidsOf } from "./imap-messages-helpers.ts";

let t: TestServer;
let n = 0;
beforeAll(async () => {
  t = await startImapServer();
});
afterAll(async () => {
  await t.stop();
});

async function seeded(count: number, flags?: (i: number) => string | undefined): Promise<string> {
  const c = await RawImap.login(t.port("imap"));
  const name = `C${++n}`;
  expect((await c.cmd(`CREATE ${name}`)).status).toBe("OK");
  for (let i = 0; i < count; i++) await append(c, message({ subject: `m${i + 1}` }), { mailbox: name, flags: flags?.(i + 1) });
  c.close();
  return name;
}

async function created(): Promise<string> {
  const c = await RawImap.login(t.port("imap"));
  const name = `D${++n}`;
  expect((await c.cmd(`CREATE ${name}`)).status).toBe("OK");
  c.close();
  return name;
}

const validityOf = (r: { raw: string }) => Number(/UIDVALIDITY (\d+)/.exec(r.raw)![1]);

describe("EXPUNGE", () => {
  test("rev1: one EXPUNGE per removed message, highest first, then the rest is renumbered", async () => {
    const name = await seeded(6, (i) => ([2, 3, 5].includes(i) ? "\\Deleted" : undefined));
    const { c } = await open(t, name);
    const r = await c.cmd("EXPUNGE");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual(["* 5 EXPUNGE", "* 3 EXPUNGE", "* 2 EXPUNGE"]);
    expect(await uidsOf(c)).toEqual([1, 4, 6]);
    const f = await c.cmd("FETCH 2 (UID)");
    expect(f.untagged).toEqual(["* 2 FETCH (UID 4)"]);
    // Nothing left to expunge.
    expect((await c.cmd("EXPUNGE")).untagged).toEqual([]);
    c.close();
  });

  test("UID EXPUNGE removes only the named \\Deleted messages", async () => {
    const name = await seeded(4, () => "\\Deleted");
    const { c } = await open(t, name);
    const r = await c.cmd("UID EXPUNGE 2,4:9");
    expect(r.untagged).toEqual(["* 4 EXPUNGE", "* 2 EXPUNGE"]);
    expect(await uidsOf(c)).toEqual([1, 3]);
    c.close();
  });

  test("read-only (EXAMINE): EXPUNGE and UID EXPUNGE are NO", async () => {
    const name = await seeded(1, () => "\\Deleted");
    const { c } = await open(t, name, { examine: true });
    expect((await c.cmd("EXPUNGE")).status).toBe("NO");
    expect((await c.cmd("UID EXPUNGE 1")).status).toBe("NO");
    expect(await uidsOf(c)).toEqual([1]);
    c.close();
  });

  test("QRESYNC: VANISHED instead of EXPUNGE, and HIGHESTMODSEQ in the tagged OK", async () => {
    const name = await seeded(5, (i) => (i !== 3 ? "\\Deleted" : undefined));
    const { c } = await open(t, name, { enable: "QRESYNC" });
    const r = await c.cmd("EXPUNGE");
    expect(r.untagged).toEqual(["* VANISHED 1:2,4:5"]);
    expect(r.text).toMatch(/^\[HIGHESTMODSEQ \d+\] /);
    c.close();
  });

  test("rev2: EXPUNGE responses as in rev1", async () => {
    const name = await seeded(3, (i) => (i === 1 ? "\\Deleted" : undefined));
    const { c } = await open(t, name, { enable: "IMAP4rev2" });
    const r = await c.cmd("EXPUNGE");
    expect(r.untagged).toEqual(["* 1 EXPUNGE"]);
    c.close();
  });

  test("another session sees EXPUNGE at NOOP, never during FETCH; UID FETCH may carry it", async () => {
    const name = await seeded(5);
    const { c: a } = await open(t, name);
    const { c: b } = await open(t, name);
    await a.cmd("STORE 2,4 +FLAGS.SILENT (\\Deleted)");
    expect((await a.cmd("EXPUNGE")).untagged).toEqual(["* 4 EXPUNGE", "* 2 EXPUNGE"]);
    // b still has five messages: FETCH answers with the old numbers and no EXPUNGE.
    const f = await b.cmd("FETCH 1:5 (UID)");
    expect(lines(f, /EXPUNGE/)).toEqual([]);
    expect(f.untagged).toEqual(["* 1 FETCH (UID 1)", "* 3 FETCH (UID 3)", "* 5 FETCH (UID 5)"]);
    const s = await b.cmd("SEARCH ALL");
    expect(lines(s, /EXPUNGE/)).toEqual([]);
    const noop = await b.cmd("NOOP");
    expect(lines(noop, /EXPUNGE/)).toEqual(["* 2 EXPUNGE", "* 3 EXPUNGE"]);
    expect(await uidsOf(b)).toEqual([1, 3, 5]);

    await a.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)");
    await a.cmd("EXPUNGE");
    const uf = await b.cmd("UID FETCH 3 (FLAGS)");
    expect(uf.untagged).toEqual(["* 2 FETCH (UID 3 FLAGS ())", "* 1 EXPUNGE"]);
    a.close();
    b.close();
  });

  test("a QRESYNC session learns of another's expunge as VANISHED", async () => {
    const name = await seeded(3, (i) => (i === 2 ? "\\Deleted" : undefined));
    const { c: a } = await open(t, name);
    const { c: b } = await open(t, name, { enable: "QRESYNC" });
    await a.cmd("EXPUNGE");
    expect((await b.cmd("NOOP")).untagged).toEqual(["* VANISHED 2"]);
    a.close();
    b.close();
  });

  test("a message added by another session and expunged here is never announced", async () => {
    const name = await seeded(1);
    const { c: a } = await open(t, name);
    const other = await RawImap.login(t.port("imap"));
    await append(other, message(), { mailbox: name, flags: "\\Deleted" });
    // a has not been told of UID 2 yet; its EXPUNGE removes it anyway.
    const r = await a.cmd("EXPUNGE");
    expect(r.untagged).toEqual([]);
    expect((await a.cmd("NOOP")).untagged).toEqual([]);
    expect(await uidsOf(a)).toEqual([1]);
    a.close();
    other.close();
  });
});

describe("COPY", () => {
  test("COPY: OK [COPYUID uidvalidity src dst]; flags are copied; the source stays", async () => {
    const name = await seeded(3, (i) => (i === 2 ? "\\Flagged $Tag" : undefined));
    const dst = await created();
    const { c } = await open(t, name);
    const r = await c.cmd(`COPY 2:3 ${dst}`);
    expect(r.status).toBe("OK");
    const ex = await RawImap.login(t.port("imap"));
    const sel = await ex.cmd(`EXAMINE ${dst}`);
    expect(r.text).toMatch(new RegExp(`^\\[COPYUID ${validityOf(sel)} 2:3 1:2\\] `));
    expect(sel.untagged).toContain("* 2 EXISTS");
    expect(await flagsOf(ex, 1)).toEqual(["$Tag", "\\Flagged"]);
    expect(await uidsOf(c)).toEqual([1, 2, 3]);
    const body = await ex.cmd("FETCH 2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
    expect(body.raw).toContain("Subject: m3");
    c.close();
    ex.close();
  });

  test("UID COPY pairs source and target UIDs in ascending order", async () => {
    const name = await seeded(5);
    const dst = await created();
    const { c } = await open(t, name);
    await c.cmd(`COPY 1 ${dst}`);
    const r = await c.cmd(`UID COPY 5,2,4 ${dst}`);
    expect(r.text).toMatch(/^\[COPYUID \d+ 2,4:5 2:4\] /);
    c.close();
  });

  test("UID COPY of UIDs that do not exist: OK without COPYUID", async () => {
    const name = await seeded(1);
    const { c } = await open(t, name);
    const r = await c.cmd("UID COPY 50:60 Archive");
    expect(r.status).toBe("OK");
    expect(r.text).not.toContain("COPYUID");
    c.close();
  });

  test("target missing: NO [TRYCREATE]; sequence number beyond EXISTS: BAD", async () => {
    const name = await seeded(2);
    const { c } = await open(t, name);
    const r = await c.cmd("COPY 1 NoSuchBox");
    expect(r.status).toBe("NO");
    expect(r.text).toMatch(/^\[TRYCREATE\]/);
    expect((await c.cmd("COPY 3 Archive")).status).toBe("BAD");
    c.close();
  });

  test("COPY works from a read-only (EXAMINE) mailbox", async () => {
    const name = await seeded(1);
    const dst = await created();
    const { c } = await open(t, name, { examine: true });
    const r = await c.cmd(`COPY 1 ${dst}`);
    expect(r.status).toBe("OK");
    expect(r.text).toMatch(/COPYUID \d+ 1 1/);
    c.close();
  });

  test("COPY into the selected mailbox: EXISTS before the tagged OK", async () => {
    const name = await seeded(2);
    const { c } = await open(t, name, { enable: "IMAP4rev2" });
    const r = await c.cmd(`COPY 1:2 ${name}`);
    expect(r.untagged).toEqual(["* 4 EXISTS"]);
    expect(r.text).toMatch(/^\[COPYUID \d+ 1:2 3:4\] /);
    c.close();
  });

  test("a session selected on the target sees EXISTS at NOOP", async () => {
    const name = await seeded(2);
    const dst = await created();
    const { c: a } = await open(t, name);
    const { c: b } = await open(t, dst);
    await a.cmd(`COPY 1:2 ${dst}`);
    expect((await b.cmd("NOOP")).untagged).toEqual(["* 2 EXISTS", "* 2 RECENT"]);
    a.close();
    b.close();
  });

  test("COPY $ after SEARCH RETURN (SAVE)", async () => {
    const name = await seeded(4, (i) => (i % 2 === 0 ? "\\Seen" : undefined));
    const dst = await created();
    const { c } = await open(t, name);
    await c.cmd("SEARCH RETURN (SAVE) SEEN");
    const r = await c.cmd(`COPY $ ${dst}`);
    expect(r.text).toMatch(/^\[COPYUID \d+ 2,4 1:2\] /);
    c.close();
  });
});

describe("MOVE", () => {
  test("rev1 MOVE: untagged OK [COPYUID], then EXPUNGEs, then the tagged OK", async () => {
    const name = await seeded(4, (i) => (i === 3 ? "\\Seen" : undefined));
    const dst = await created();
    const { c } = await open(t, name);
    const r = await c.cmd(`MOVE 2:3 ${dst}`);
    expect(r.status).toBe("OK");
    expect(r.untagged).toHaveLength(3);
    expect(r.untagged[0]).toMatch(/^\* OK \[COPYUID \d+ 2:3 1:2\] /);
    expect(r.untagged.slice(1)).toEqual(["* 3 EXPUNGE", "* 2 EXPUNGE"]);
    expect(r.text).not.toContain("COPYUID");
    expect(await uidsOf(c)).toEqual([1, 4]);
    const ex = await RawImap.login(t.port("imap"));
    await ex.cmd(`EXAMINE ${dst}`);
    expect(await flagsOf(ex, 2)).toEqual(["\\Seen"]);
    c.close();
    ex.close();
  });

  test("UID MOVE with QRESYNC: VANISHED and HIGHESTMODSEQ", async () => {
    const name = await seeded(4);
    const dst = await created();
    const { c } = await open(t, name, { enable: "QRESYNC" });
    const r = await c.cmd(`UID MOVE 1,3:4 ${dst}`);
    expect(r.untagged[0]).toMatch(/^\* OK \[COPYUID \d+ 1,3:4 1:3\] /);
    expect(r.untagged[1]).toBe("* VANISHED 1,3:4");
    expect(r.untagged).toHaveLength(2);
    expect(r.text).toMatch(/^\[HIGHESTMODSEQ \d+\] /);
    c.close();
  });

  test("rev2 MOVE: same shape", async () => {
    const name = await seeded(2);
    const { c } = await open(t, name, { enable: "IMAP4rev2" });
    const r = await c.cmd("MOVE 1 Trash");
    expect(r.untagged[0]).toMatch(/^\* OK \[COPYUID \d+ 1 \d+\] /);
    expect(r.untagged[1]).toBe("* 1 EXPUNGE");
    c.close();
  });

  test("MOVE in a read-only mailbox is NO; missing target is NO [TRYCREATE]; out of range is BAD", async () => {
    const name = await seeded(2);
    const { c } = await open(t, name, { examine: true });
    expect((await c.cmd("MOVE 1 Archive")).status).toBe("NO");
    await c.cmd(`SELECT ${name}`);
    const r = await c.cmd("MOVE 1 Missing");
    expect(r.status).toBe("NO");
    expect(r.text).toMatch(/^\[TRYCREATE\]/);
    expect((await c.cmd("MOVE 9 Archive")).status).toBe("BAD");
    expect(await uidsOf(c)).toEqual([1, 2]);
    c.close();
  });

  test("others: the source session sees EXPUNGE, the target session EXISTS", async () => {
    const name = await seeded(3);
    const dst = await created();
    const { c: a } = await open(t, name);
    const { c: b } = await open(t, name);
    const { c: d } = await open(t, dst);
    await a.cmd(`UID MOVE 2 ${dst}`);
    expect((await b.cmd("NOOP")).untagged).toEqual(["* 2 EXPUNGE"]);
    expect((await d.cmd("NOOP")).untagged).toEqual(["* 1 EXISTS", "* 1 RECENT"]);
    a.close();
    b.close();
    d.close();
  });

  test("MOVE within the same mailbox: new UIDs, old ones expunged", async () => {
    const name = await seeded(2);
    const { c } = await open(t, name);
    const r = await c.cmd(`MOVE 1 ${name}`);
    expect(r.status).toBe("OK");
    expect(r.untagged[0]).toMatch(/^\* OK \[COPYUID \d+ 1 3\] /);
    expect(r.untagged).toContain("* 1 EXPUNGE");
    expect(await uidsOf(c)).toEqual([2, 3]);
    c.close();
  });
});
