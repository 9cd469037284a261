// mailbox_messages.system_flags (migration 0004) against the flags JSON it stands for: after
// random deliveries, APPENDs, STOREs, COPY/MOVE, EXPUNGE and POP3 QUITs (and a flag written in
// another spelling), every row's bitmask equals the bits of its JSON; and the queries that
// use it (SELECT's first unseen, STATUS, EXPUNGE, SEARCH) agree with the JSON.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { tempDb } from "../db/temp-db.ts";
import type { TempDb } from "../db/temp-db.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { deliverOp, hashBody } from "../../src/store/messages.ts";
import { newQueueId } from "../../src/store/ids.ts";
import { appendMessage } from "../../src/store/imap-append.ts";
import { copyMessages, moveMessages } from "../../src/store/imap-copy-move.ts";
import { expunge } from "../../src/store/imap-expunge.ts";
import { storeFlags } from "../../src/store/imap-flags.ts";
import { createMailbox } from "../../src/store/imap-mailboxes.ts";
import { selectInfo } from "../../src/store/imap-messages.ts";
import { statusOf } from "../../src/store/imap-status.ts";
import { matchingInRange, searchCondition } from "../../src/store/imap-search-sql.ts";
import { commitUpdate } from "../../src/pop3/update.ts";
import { hasFlag, systemFlagTest } from "../../src/store/imap-sql.ts";
import { SYSTEM_FLAG_BITS } from "../../src/db/schema/mailboxes.ts";
import { rng } from "../helpers/rng.ts";

// Keywords named like Object.prototype members too: they must stay keywords.
const FLAGS = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "$Junk", "work", "\\seen", "\\DELETED", "constructor", "__proto__"];


function bitsOf(flags: readonly string[]): number {
  let b = 0;
  for (const f of flags) b |= Object.hasOwn(SYSTEM_FLAG_BITS, f.toLowerCase()) ? SYSTEM_FLAG_BITS[f.toLowerCase() as keyof typeof SYSTEM_FLAG_BITS] : 0;
  return b;
}

type Row = { mailbox_id: number; uid: number; flags: string; system_flags: number };

async function rows(t: TempDb): Promise<Row[]> {
  const res = await t.db.client.execute("SELECT mailbox_id, uid, flags, system_flags FROM mailbox_messages ORDER BY mailbox_id, uid");
  return res.rows.map((r) => ({ mailbox_id: Number(r.mailbox_id), uid: Number(r.uid), flags: String(r.flags), system_flags: Number(r.system_flags) }));
}

let t: TempDb;
let acct = 0;
const boxes: number[] = [];
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const someFlags = (r: () => number) => FLAGS.filter(() => r() < 0.25);
const msg = (i: number) => new TextEncoder().encode(`Subject: m${i}\r\n\r\nbody ${i}\r\n`);

async function uidsOf(mailboxId: number): Promise<number[]> {
  const res = await t.db.client.execute({ sql: "SELECT uid FROM mailbox_messages WHERE mailbox_id = ? ORDER BY uid", args: [mailboxId] });
  return res.rows.map((r) => Number(r.uid));
}

beforeAll(async () => {
  t = await tempDb();
  await addDomain(t.db, "example.org");
  acct = (await addAccount(t.db, "f@example.org", "pw")).id;
  const inbox = (await appendMessage(t.db, acct, "INBOX", msg(0), ["\\Seen"])).mailboxId;
  boxes.push(inbox, (await createMailbox(t.db, acct, "A")).id, (await createMailbox(t.db, acct, "B")).id);
  const r = rng(11);
  for (let i = 1; i < 400; i++) {
    const x = r();
    const box = pick(r, boxes);
    const uids = await uidsOf(box);
    const some = uids.filter(() => r() < 0.2);
    if (x < 0.2) {
      await appendMessage(t.db, acct, box, msg(i), someFlags(r));
    } else if (x < 0.3) {
      const raw = msg(i);
      const flags = someFlags(r);
      await t.db.writer.write(deliverOp({ bodyHash: hashBody(raw), raw, mimeJson: "{}", targets: [{ accountId: acct, mailbox: pick(r, ["INBOX", "A"]) }], internalDate: i, queueId: newQueueId(), flags }));
    } else if (x < 0.55) {
      await storeFlags(t.db, box, some, pick(r, ["set", "add", "remove"] as const), someFlags(r));
    } else if (x < 0.65) {
      await copyMessages(t.db, box, some, pick(r, boxes));
    } else if (x < 0.72) {
      const to = pick(r, boxes);
      if (to !== box) await moveMessages(t.db, box, some, to);
    } else if (x < 0.78) {
      await expunge(t.db, box, r() < 0.5 ? undefined : some);
    } else if (x < 0.88) {
      // POP3 QUIT on INBOX: RETR'd messages get \Seen, DELE'd ones go.
      const all = await uidsOf(boxes[0]!);
      await commitUpdate(t.db, boxes[0]!, all.filter(() => r() < 0.05), all.filter(() => r() < 0.3));
    } else {
      // Another writer, another spelling (flags are case-insensitive, RFC 9051 §2.3.2).
      const uid = pick(r, uids.length > 0 ? uids : [0]);
      await t.db.writer.write([{ sql: "UPDATE mailbox_messages SET flags = ? WHERE mailbox_id = ? AND uid = ?", args: [JSON.stringify(someFlags(r).map((f) => f.toUpperCase())), box, uid] }]);
    }
  }
});
afterAll(async () => {
  await t.cleanup();
});

describe("system_flags", () => {
  test("equals the bits of the flags JSON on every row after random writes on every path", async () => {
    const all = await rows(t);
    expect(all.length).toBeGreaterThan(100);
    const wrong = all.filter((r) => r.system_flags !== bitsOf(JSON.parse(r.flags) as string[]));
    expect(wrong).toEqual([]);
    // The mix really exercised every bit, set and unset.
    for (const bit of Object.values(SYSTEM_FLAG_BITS)) {
      expect(all.some((r) => (r.system_flags & bit) !== 0)).toBe(true);
      expect(all.some((r) => (r.system_flags & bit) === 0)).toBe(true);
    }
  });

  test("SELECT's first unseen and STATUS counts agree with the JSON", async () => {
    const all = await rows(t);
    for (const box of boxes) {
      const mine = all.filter((r) => r.mailbox_id === box);
      const unseen = mine.filter((r) => !(JSON.parse(r.flags) as string[]).some((f) => f.toLowerCase() === "\\seen"));
      const deleted = mine.filter((r) => (JSON.parse(r.flags) as string[]).some((f) => f.toLowerCase() === "\\deleted"));
      const info = await selectInfo(t.db, box);
      expect(info.firstUnseenUid).toBe(unseen[0]?.uid ?? null);
      expect(info.ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i))).toEqual(mine.map((r) => r.uid));
      const st = (await statusOf(t.db, box))!;
      expect([st.messages, st.unseen, st.deleted]).toEqual([mine.length, unseen.length, deleted.length]);
    }
  });

  test("SEARCH on system flags (SQL) agrees with the JSON", async () => {
    const all = await rows(t);
    const has = (r: Row, f: string) => (JSON.parse(r.flags) as string[]).some((x) => x.toLowerCase() === f);
    const cases: [Parameters<typeof searchCondition>[0], (r: Row) => boolean][] = [
      [{ kind: "unseen" }, (r) => !has(r, "\\seen")],
      [{ kind: "deleted" }, (r) => has(r, "\\deleted")],
      [{ kind: "not", key: { kind: "flagged" } }, (r) => !has(r, "\\flagged")],
      [{ kind: "keyword", flag: "\\DRAFT" }, (r) => has(r, "\\draft")],
      [{ kind: "or", a: { kind: "answered" }, b: { kind: "undraft" } }, (r) => has(r, "\\answered") || !has(r, "\\draft")],
      [{ kind: "keyword", flag: "constructor" }, (r) => has(r, "constructor")],
      [{ kind: "unkeyword", flag: "__proto__" }, (r) => !has(r, "__proto__")],
    ];
    for (const box of boxes) {
      const mine = all.filter((r) => r.mailbox_id === box);
      for (const [key, want] of cases) {
        const got = (await matchingInRange(t.db, box, 1, 1_000_000, searchCondition(key)!)).map(([uid]) => uid);
        expect(got).toEqual(mine.filter(want).map((r) => r.uid));
      }
    }
  });

  test("EXPUNGE removes exactly the \\Deleted messages", async () => {
    const box = boxes[1]!;
    const before = (await rows(t)).filter((r) => r.mailbox_id === box);
    const res = await expunge(t.db, box);
    const gone = before.filter((r) => (JSON.parse(r.flags) as string[]).some((f) => f.toLowerCase() === "\\deleted")).map((r) => r.uid);
    expect(res.uids).toEqual(gone);
    expect(await uidsOf(box)).toEqual(before.map((r) => r.uid).filter((u) => !gone.includes(u)));
  });

  test("the unseen and \\Deleted lookups are index scans", async () => {
    const plan = async (sql: string) =>
      (await t.db.client.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args: { mbx: 1 } })).rows.map((r) => String(r.detail)).join("\n");
    // Built by the same helpers as the queries (SELECT, SEARCH UNSEEN, EXPUNGE).
    expect(await plan(`SELECT min(uid) FROM mailbox_messages WHERE mailbox_id = :mbx AND ${systemFlagTest("flags", "\\Seen", false)}`)).toContain("mailbox_messages_unseen_idx");
    expect(await plan(`SELECT uid FROM mailbox_messages WHERE mailbox_id = :mbx AND uid BETWEEN 1 AND 9 AND ${searchCondition({ kind: "unseen" })!.sql}`)).toContain("mailbox_messages_unseen_idx");
    const del = `mailbox_messages.mailbox_id = :mbx AND ${hasFlag("mailbox_messages.flags", "deleted", "\\Deleted")}`;
    expect(await plan(`SELECT uid FROM mailbox_messages WHERE ${del}`)).toContain("mailbox_messages_deleted_idx");
  });

  test("migration 0004 backfills rows written before it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hikyaku-sf-"));
    const c = createClient({ url: `file:${join(dir, "db")}` });
    try {
      const migrations = fileURLToPath(new URL("../../migrations", import.meta.url));
      const files = readdirSync(migrations).filter((f) => f.endsWith(".sql")).sort();
      const apply = async (f: string) => {
        for (const st of readFileSync(join(migrations, f), "utf8").split("--> statement-breakpoint")) if (st.trim()) await c.execute(st);
      };
      const at = files.indexOf("0004_system_flags.sql");
      expect(at).toBeGreaterThan(0);
      for (const f of files.slice(0, at)) await apply(f);
      await c.execute("PRAGMA foreign_keys=OFF");
      const old = [[], ["\\Seen"], ["\\DELETED", "x"], ["\\draft", "\\Answered", "\\flagged", "\\seen"], ["seen", "deleted", "constructor"]];
      for (const [i, f] of old.entries()) {
        await c.execute({ sql: "INSERT INTO mailbox_messages (mailbox_id, uid, body_hash, flags, modseq, internal_date, size, created_at) VALUES (1, ?, 'h', ?, 1, 0, 1, 0)", args: [i + 1, JSON.stringify(f)] });
      }
      await apply(files[at]!);
      const got = (await c.execute("SELECT system_flags FROM mailbox_messages ORDER BY uid")).rows.map((r) => Number(r.system_flags));
      expect(got).toEqual(old.map(bitsOf));
      // The partial indexes hold the rows that were there before the migration.
      const via = async (idx: string, cond: string) =>
        (await c.execute(`SELECT uid FROM mailbox_messages INDEXED BY ${idx} WHERE mailbox_id = 1 AND ${cond} ORDER BY uid`)).rows.map((r) => Number(r.uid));
      expect(await via("mailbox_messages_deleted_idx", "(system_flags & 8) != 0")).toEqual([3]);
      expect(await via("mailbox_messages_unseen_idx", "(system_flags & 1) = 0")).toEqual([1, 3, 5]);
    } finally {
      c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
