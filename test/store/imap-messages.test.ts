// IMAP message ops: UID/MODSEQ invariants (also under group commit and across restarts),
// STORE composition and UNCHANGEDSINCE, EXPUNGE → VANISHED, COPY/MOVE UID pairs, APPEND.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { tempDb } from "../db/temp-db.ts";
import type { TempDb } from "../db/temp-db.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { deliverOp, expungeOp, getBody, hashBody } from "../../src/store/messages.ts";
import { newQueueId } from "../../src/store/ids.ts";
import { appendMessage } from "../../src/store/imap-append.ts";
import { changedSince, vanishedSince } from "../../src/store/imap-changes.ts";
import { copyMessages, moveMessages } from "../../src/store/imap-copy-move.ts";
import { expunge } from "../../src/store/imap-expunge.ts";
import { canonicalFlags, storeFlags } from "../../src/store/imap-flags.ts";
import { createMailbox, deleteMailbox } from "../../src/store/imap-mailboxes.ts";
import { getMessages, listUids, selectInfo } from "../../src/store/imap-messages.ts";
import { mailboxByName, statusOf } from "../../src/store/imap-status.ts";

let t: TempDb;
let alice: number;
let inbox: number;

const enc = new TextEncoder();
const raw = (n: number | string) => enc.encode(`From: a@example.org\r\nSubject: m${n}\r\n\r\nbody ${n}\r\n`);

async function add(n: number | string, flags: string[] = [], mailbox: string | number = "INBOX") {
  return appendMessage(t.db, alice, mailbox, raw(n), flags, 1_700_000_000_000);
}
async function uids(mailboxId: number) {
  return (await listUids(t.db, mailboxId)).map((m) => m.uid);
}
async function status(mailboxId: number) {
  return (await statusOf(t.db, mailboxId))!;
}

beforeEach(async () => {
  t = await tempDb();
  await addDomain(t.db, "example.org");
  alice = (await addAccount(t.db, "alice@example.org", "pw")).id;
  inbox = (await mailboxByName(t.db, alice, "inbox"))!.id;
});
afterEach(async () => {
  await t.cleanup();
});

describe("appendMessage", () => {
  test("APPENDUID: uidvalidity and increasing UIDs; body stored once with its MIME parse", async () => {
    const a = await add(1, ["\\seen", "$Label", "\\Recent", "$label"]);
    const b = await add(1);
    const st = await status(inbox);
    expect([a.uid, b.uid]).toEqual([1, 2]);
    expect(a.uidValidity).toBe(st.uidValidity);
    expect(b.modseq).toBe(st.highestModseq);
    expect(a.changes).toEqual([{ mailboxId: inbox, kind: "exists", uids: [1], modseq: a.modseq }]);
    const [m1] = await getMessages(t.db, inbox, [1], { mime: true });
    expect(m1.flags).toEqual(["\\Seen", "$Label"]);
    expect(m1.internalDate).toBe(1_700_000_000_000);
    expect(m1.mime!.subject).toBe("m1");
    expect(m1.size).toBe(raw(1).byteLength);
    expect(Number((await t.db.client.execute("SELECT count(*) AS n FROM bodies")).rows[0].n)).toBe(1);
    expect(new TextDecoder().decode((await getBody(t.db, m1.bodyHash))!.content)).toContain("body 1");
  });

  test("TOOBIG before writing; TRYCREATE for a missing mailbox leaves no body behind", async () => {
    await expect(appendMessage(t.db, alice, "INBOX", raw(1), [], null, 10)).rejects.toMatchObject({ code: "TOOBIG" });
    await expect(add(1, [], "Nope")).rejects.toMatchObject({ code: "TRYCREATE" });
    await expect(add(1, [], 99999)).rejects.toMatchObject({ code: "TRYCREATE" });
    expect(Number((await t.db.client.execute("SELECT count(*) AS n FROM bodies")).rows[0].n)).toBe(0);
    expect((await status(inbox)).uidNext).toBe(1);
  });

  test("by id: another account's mailbox is not a target", async () => {
    const bob = (await addAccount(t.db, "bob@example.org", "pw")).id;
    const bobInbox = (await mailboxByName(t.db, bob, "INBOX"))!.id;
    await expect(add(1, [], bobInbox)).rejects.toMatchObject({ code: "TRYCREATE" });
    expect((await add(1, [], inbox)).uid).toBe(1);
  });
});

describe("UID and MODSEQ invariants", () => {
  test("UIDs never reused after expunge, for COPY/MOVE targets, nor across restart; HIGHESTMODSEQ never decreases", async () => {
    const work = (await createMailbox(t.db, alice, "Work")).id;
    for (let i = 1; i <= 5; i++) await add(i);
    const seen: number[] = [];
    const track = async () => seen.push((await status(inbox)).highestModseq, (await status(work)).highestModseq);
    await storeFlags(t.db, inbox, [4, 5], "add", ["\\Deleted"]);
    await track();
    expect((await expunge(t.db, inbox)).uids).toEqual([4, 5]);
    await track();
    expect((await add(6)).uid).toBe(6);
    const c = await copyMessages(t.db, inbox, [1, 2], work);
    expect(c.pairs).toEqual([[1, 1], [2, 2]]);
    await t.db.writer.write(expungeOp(work, [2]));
    const m = await moveMessages(t.db, inbox, [3], work);
    expect(m.pairs).toEqual([[3, 3]]);
    await track();
    const before = { inbox: await status(inbox), work: await status(work) };
    await t.reopen();
    const after = { inbox: await status(inbox), work: await status(work) };
    expect(after).toEqual(before);
    expect((await add(7)).uid).toBe(7);
    expect((await copyMessages(t.db, inbox, [1], work)).pairs).toEqual([[1, 4]]);
    expect(await uids(inbox)).toEqual([1, 2, 6, 7]);
    expect(await uids(work)).toEqual([1, 3, 4]);
    expect(await vanishedSince(t.db, inbox, 0)).toEqual([3, 4, 5]);
    await track();
    for (let i = 2; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 2]);
    expect((await status(inbox)).uidValidity).toBe(before.inbox.uidValidity);
  });

  test("every change gets a new MODSEQ = ++HIGHESTMODSEQ in its own op", async () => {
    const a = await add(1);
    const b = await add(2);
    expect(b.modseq).toBe(a.modseq + 1);
    const s = await storeFlags(t.db, inbox, [1], "add", ["\\Seen"]);
    expect(s.updated).toEqual([{ uid: 1, flags: ["\\Seen"], modseq: b.modseq + 1 }]);
    expect(s.highestModseq).toBe(b.modseq + 1);
    await storeFlags(t.db, inbox, [2], "add", ["\\Deleted"]);
    const x = await expunge(t.db, inbox);
    expect(x.highestModseq).toBe(b.modseq + 3);
    expect(await vanishedSince(t.db, inbox, b.modseq + 2)).toEqual([2]);
    expect((await status(inbox)).highestModseq).toBe(b.modseq + 3);
  });

  test("50 concurrent appends grouped into shared commits get UIDs 1..50 in order of submission", async () => {
    const before = t.db.writer.stats();
    const res = await Promise.all(Array.from({ length: 50 }, (_, i) => add(i)));
    expect(t.db.writer.stats().commits - before.commits).toBeLessThan(50);
    expect(res.map((r) => r.uid)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(res.map((r) => r.modseq)).size).toBe(50);
  });
});

describe("storeFlags", () => {
  test("50 concurrent +FLAGS on one message compose: all flags present, MODSEQ bumped 50 times", async () => {
    await add(1);
    const start = (await status(inbox)).highestModseq;
    const before = t.db.writer.stats();
    const res = await Promise.all(Array.from({ length: 50 }, (_, i) => storeFlags(t.db, inbox, [1], "add", [`$k${i}`])));
    expect(t.db.writer.stats().commits - before.commits).toBeLessThan(50);
    const modseqs = res.map((r) => r.updated[0].modseq);
    expect(modseqs).toEqual(Array.from({ length: 50 }, (_, i) => start + i + 1));
    const [m] = await listUids(t.db, inbox);
    expect(m.flags.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `$k${i}`).sort());
    expect(m.modseq).toBe(start + 50);
    expect((await status(inbox)).highestModseq).toBe(start + 50);
  });

  test("concurrent +FLAGS and -FLAGS of different flags both survive", async () => {
    await add(1, ["\\Seen", "$a"]);
    await Promise.all([storeFlags(t.db, inbox, [1], "remove", ["$A"]), storeFlags(t.db, inbox, [1], "add", ["\\Flagged"]), storeFlags(t.db, inbox, [1], "add", ["$b"])]);
    expect((await listUids(t.db, inbox))[0].flags.sort()).toEqual(["$b", "\\Flagged", "\\Seen"]);
  });

  test("set/add/remove are case-insensitive; a no-op leaves MODSEQ alone; unchanged rows are reported", async () => {
    await add(1, ["\\Seen"]);
    await add(2);
    const h = (await status(inbox)).highestModseq;
    const noop = await storeFlags(t.db, inbox, [1], "add", ["\\SEEN"]);
    expect(noop.updated).toEqual([]);
    expect(noop.unchanged).toEqual([{ uid: 1, flags: ["\\Seen"], modseq: h - 1 }]);
    expect(noop.changes).toEqual([]);
    expect((await status(inbox)).highestModseq).toBe(h);
    const set = await storeFlags(t.db, inbox, [1, 2, 99], "set", ["$Work", "\\answered"]);
    expect(set.updated.map((u) => [u.uid, u.flags, u.modseq])).toEqual([
      [1, ["$Work", "\\Answered"], h + 1],
      [2, ["$Work", "\\Answered"], h + 1],
    ]);
    expect(set.changes).toEqual([{ mailboxId: inbox, kind: "flags", uids: [1, 2], modseq: h + 1 }]);
    expect((await storeFlags(t.db, inbox, [1], "set", ["\\Answered", "$work"])).updated).toEqual([]);
    const rm = await storeFlags(t.db, inbox, [1, 2], "remove", ["$WORK", "\\Recent"]);
    expect(rm.updated.map((u) => u.flags)).toEqual([["\\Answered"], ["\\Answered"]]);
    expect(canonicalFlags(["\\RECENT", "\\draft", "$x", "$X"])).toEqual(["\\Draft", "$x"]);
  });

  test("UNCHANGEDSINCE: only messages at or below the MODSEQ change; the others are MODIFIED", async () => {
    await add(1);
    await add(2);
    await add(3);
    const h = (await status(inbox)).highestModseq;
    await storeFlags(t.db, inbox, [2], "add", ["$x"]); // uid 2 now at h+1
    const r = await storeFlags(t.db, inbox, [1, 2, 3], "add", ["\\Flagged"], h);
    expect(r.modified).toEqual([2]);
    expect(r.updated.map((u) => u.uid)).toEqual([1, 3]);
    expect((await getMessages(t.db, inbox, [2]))[0].flags).toEqual(["$x"]);
    // RFC 7162 §3.1.3: UNCHANGEDSINCE 0 always fails.
    expect((await storeFlags(t.db, inbox, [1], "remove", ["\\Flagged"], 0)).modified).toEqual([1]);
  });

  test("two racing conditional STOREs on one message: exactly one wins", async () => {
    await add(1);
    const h = (await status(inbox)).highestModseq;
    const [a, b] = await Promise.all([storeFlags(t.db, inbox, [1], "add", ["$a"], h), storeFlags(t.db, inbox, [1], "add", ["$b"], h)]);
    expect(a.updated.length + b.updated.length).toBe(1);
    expect([...a.modified, ...b.modified]).toEqual([1]);
    expect((await listUids(t.db, inbox))[0].flags).toEqual(a.updated.length ? ["$a"] : ["$b"]);
  });
});

describe("expunge, changedSince, vanishedSince", () => {
  test("only \\Deleted messages, restricted by UID EXPUNGE; VANISHED (EARLIER) is exact", async () => {
    for (let i = 1; i <= 6; i++) await add(i);
    const m0 = (await status(inbox)).highestModseq;
    await storeFlags(t.db, inbox, [2, 3, 5], "add", ["\\Deleted"]);
    const e1 = await expunge(t.db, inbox, [1, 2, 3]);
    expect(e1.uids).toEqual([2, 3]);
    expect(e1.changes).toEqual([{ mailboxId: inbox, kind: "expunge", uids: [2, 3], modseq: m0 + 2 }]);
    await storeFlags(t.db, inbox, [6], "add", ["\\Seen"]);
    const e2 = await expunge(t.db, inbox);
    expect(e2.uids).toEqual([5]);
    expect((await expunge(t.db, inbox)).changes).toEqual([]);
    expect((await status(inbox)).highestModseq).toBe(m0 + 4);
    expect(await vanishedSince(t.db, inbox, m0)).toEqual([2, 3, 5]);
    expect(await vanishedSince(t.db, inbox, m0 + 1)).toEqual([2, 3, 5]);
    expect(await vanishedSince(t.db, inbox, m0 + 2)).toEqual([5]);
    expect(await vanishedSince(t.db, inbox, m0 + 4)).toEqual([]);
    expect((await changedSince(t.db, inbox, m0 + 2)).map((c) => [c.uid, c.flags])).toEqual([[6, ["\\Seen"]]]);
    expect((await changedSince(t.db, inbox, 0)).map((c) => c.uid)).toEqual([1, 4, 6]);
    await t.reopen();
    expect(await vanishedSince(t.db, inbox, m0 + 2)).toEqual([5]);
  });

  test("a message undeleted by another session before EXPUNGE stays", async () => {
    await add(1, ["\\Deleted"]);
    await Promise.all([storeFlags(t.db, inbox, [1], "remove", ["\\Deleted"]), expunge(t.db, inbox)]);
    expect(await uids(inbox)).toEqual([1]);
  });

  test("expungeOp (POP3 DELE) is remembered too", async () => {
    await add(1);
    await add(2);
    const h = (await status(inbox)).highestModseq;
    await t.db.writer.write(expungeOp(inbox, [1, 42]));
    expect(await vanishedSince(t.db, inbox, h)).toEqual([1]);
  });
});

describe("copyMessages / moveMessages", () => {
  test("COPYUID pairs in source order, flags copied without \\Recent, bodies shared", async () => {
    const work = await createMailbox(t.db, alice, "Work");
    await t.db.writer.write(deliverOp({ bodyHash: hashBody(raw("d")), raw: raw("d"), mimeJson: "{}", targets: [{ accountId: alice, mailbox: "INBOX" }], internalDate: 5, queueId: newQueueId(), flags: ["\\Recent", "$x"] }));
    await add(2, ["\\Seen"]);
    await add(3);
    await add(4);
    await add(99);
    await add("w", [], work.id); // target already has uid 1
    const r = await copyMessages(t.db, inbox, [4, 1, 2, 77], work.id);
    expect(r.uidValidity).toBe(work.uidValidity);
    expect(r.pairs).toEqual([[1, 2], [2, 3], [4, 4]]);
    const w = await status(work.id);
    expect(r.changes).toEqual([{ mailboxId: work.id, kind: "exists", uids: [2, 3, 4], modseq: w.highestModseq }]);
    expect(w.uidNext).toBe(5);
    const msgs = await getMessages(t.db, work.id, [2, 3, 4]);
    expect(msgs.map((m) => m.flags)).toEqual([["$x"], ["\\Seen"], []]);
    expect(msgs.every((m) => m.modseq === w.highestModseq)).toBe(true);
    expect(msgs[0].internalDate).toBe(5);
    expect(Number((await t.db.client.execute("SELECT count(*) AS n FROM bodies")).rows[0].n)).toBe(6);
    expect(await uids(inbox)).toEqual([1, 2, 3, 4, 5]);
    expect((await copyMessages(t.db, inbox, [1000], work.id)).pairs).toEqual([]);
  });

  test("MOVE: copy plus expunge in one op; sources vanish with one new MODSEQ", async () => {
    const work = await createMailbox(t.db, alice, "Work");
    for (let i = 1; i <= 4; i++) await add(i);
    const h = (await status(inbox)).highestModseq;
    const before = t.db.writer.stats().ops;
    const r = await moveMessages(t.db, inbox, [2, 4], work.id);
    expect(t.db.writer.stats().ops - before).toBe(1);
    expect(r.pairs).toEqual([[2, 1], [4, 2]]);
    expect(r.expunged).toEqual([2, 4]);
    expect(r.changes).toEqual([
      { mailboxId: work.id, kind: "exists", uids: [1, 2], modseq: 2 },
      { mailboxId: inbox, kind: "expunge", uids: [2, 4], modseq: h + 1 },
    ]);
    expect(await uids(inbox)).toEqual([1, 3]);
    expect(await uids(work.id)).toEqual([1, 2]);
    expect(await vanishedSince(t.db, inbox, h)).toEqual([2, 4]);
  });

  test("MOVE and COPY within the same mailbox", async () => {
    await add(1);
    await add(2);
    const c = await copyMessages(t.db, inbox, [1, 2], inbox);
    expect(c.pairs).toEqual([[1, 3], [2, 4]]);
    const m = await moveMessages(t.db, inbox, [1, 3, 5, 6], inbox);
    expect(m.pairs).toEqual([[1, 5], [3, 6]]);
    expect(m.expunged).toEqual([1, 3]);
    expect(await uids(inbox)).toEqual([2, 4, 5, 6]);
    const st = await status(inbox);
    expect(st.uidNext).toBe(7);
    expect(m.changes.map((c) => c.modseq)).toEqual([st.highestModseq, st.highestModseq]);
    expect(await vanishedSince(t.db, inbox, st.highestModseq - 1)).toEqual([1, 3]);
  });

  test("to a missing or foreign mailbox: TRYCREATE and nothing changes", async () => {
    const bob = (await addAccount(t.db, "bob@example.org", "pw")).id;
    const bobInbox = (await mailboxByName(t.db, bob, "INBOX"))!.id;
    await add(1);
    const gone = await createMailbox(t.db, alice, "Gone");
    await deleteMailbox(t.db, alice, "Gone");
    await expect(copyMessages(t.db, inbox, [1], gone.id)).rejects.toMatchObject({ code: "TRYCREATE" });
    await expect(moveMessages(t.db, inbox, [1], bobInbox)).rejects.toMatchObject({ code: "TRYCREATE" });
    await expect(moveMessages(t.db, inbox, [], gone.id)).rejects.toMatchObject({ code: "TRYCREATE" });
    expect(await uids(inbox)).toEqual([1]);
    expect(await uids(bobInbox)).toEqual([]);
    expect(await vanishedSince(t.db, inbox, 0)).toEqual([]);
  });
});

test("listUids on 10,000 messages stays cheap (one narrow scan)", async () => {
  const ops = [];
  for (let i = 0; i < 10_000; i++) {
    const r = raw(i);
    ops.push(t.db.writer.write(deliverOp({ bodyHash: hashBody(r), raw: r, mimeJson: "{}", targets: [{ accountId: alice, mailbox: "INBOX" }], internalDate: i, queueId: "q", flags: i % 3 ? ["\\Seen"] : [] })));
  }
  await Promise.all(ops);
  await listUids(t.db, inbox); // warm-up
  let started = performance.now();
  const list = await listUids(t.db, inbox);
  const listMs = performance.now() - started;
  started = performance.now();
  const st = await status(inbox);
  const statusMs = performance.now() - started;
  console.log(`listUids(10k) ${listMs.toFixed(1)} ms, statusOf(10k) ${statusMs.toFixed(1)} ms`);
  expect(list.length).toBe(10_000);
  expect(list[9_999].uid).toBe(10_000);
  expect(st.unseen).toBe(3334);
  expect(st.messages).toBe(10_000);
});

describe("selectInfo", () => {
  test("UID runs with holes after expunges, and the first unseen UID", async () => {
    for (let i = 1; i <= 8; i++) await add(i, i <= 2 || i === 5 ? ["\\Seen"] : []);
    expect(await selectInfo(t.db, inbox)).toEqual({ ranges: [[1, 8]], firstUnseenUid: 3 });
    await storeFlags(t.db, inbox, [3, 4, 7], "add", ["\\Deleted"]);
    await expunge(t.db, inbox);
    expect(await selectInfo(t.db, inbox)).toEqual({ ranges: [[1, 2], [5, 6], [8, 8]], firstUnseenUid: 6 });
    const empty = await createMailbox(t.db, alice, "Empty");
    expect(await selectInfo(t.db, empty.id)).toEqual({ ranges: [], firstUnseenUid: null });
  });
});

describe("UID sets (uidFilter: one UID, a run, any other set)", () => {
  test("each shape selects exactly the listed UIDs that exist, for reads and for STORE", async () => {
    for (let i = 1; i <= 8; i++) await add(i);
    await storeFlags(t.db, inbox, [4], "add", ["\\Deleted"]);
    await expunge(t.db, inbox); // UIDs 1-3, 5-8
    const got = async (set: number[], opts?: { mime?: boolean; head?: boolean }) => (await getMessages(t.db, inbox, set, opts)).map((m) => m.uid);
    for (const opts of [undefined, { mime: true }, { head: true }]) {
      expect(await got([2], opts)).toEqual([2]);
      expect(await got([4], opts)).toEqual([]);
      expect(await got([2, 3, 4, 5, 6], opts)).toEqual([2, 3, 5, 6]); // a run across the hole
      expect(await got([7, 8, 9, 10], opts)).toEqual([7, 8]);
      expect(await got([6, 2, 8], opts)).toEqual([2, 6, 8]); // not a run: unsorted
      expect(await got([1, 3], opts)).toEqual([1, 3]);
      expect(await got([3, 3], opts)).toEqual([3]); // not a run: a repeat
    }
    const run = await storeFlags(t.db, inbox, [3, 4, 5, 6], "add", ["$run"]);
    expect(run.updated.map((u) => u.uid)).toEqual([3, 5, 6]);
    const one = await storeFlags(t.db, inbox, [8], "add", ["$one"]);
    expect(one.updated.map((u) => u.uid)).toEqual([8]);
    const flagged = (await getMessages(t.db, inbox, [1, 2, 3, 5, 6, 7, 8])).filter((m) => m.flags.length > 0).map((m) => [m.uid, m.flags]);
    expect(flagged).toEqual([[3, ["$run"]], [5, ["$run"]], [6, ["$run"]], [8, ["$one"]]]);
  });
});
