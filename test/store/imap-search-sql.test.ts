// SEARCH keys run as SQL (src/store/imap-search-sql.ts) against the JS evaluator they stand in
// for (src/protocol/imap/search-eval.ts): the same matches for random keys over random
// messages, and null for keys that need the session or the content.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { tempDb } from "../db/temp-db.ts";
import type { TempDb } from "../db/temp-db.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { appendMessage } from "../../src/store/imap-append.ts";
import { storeFlags } from "../../src/store/imap-flags.ts";
import { summariesInRange } from "../../src/store/imap-messages.ts";
import { matchingInRange, searchCondition } from "../../src/store/imap-search-sql.ts";
import { evaluate, type SearchMessage } from "../../src/protocol/imap/search-eval.ts";
import type { SearchKey } from "../../src/protocol/imap/types.ts";
import { rng } from "../helpers/rng.ts";

let t: TempDb;
let inbox = 0;
const DAY = 86_400_000;
const BASE = Date.UTC(2024, 0, 10);
const FLAGS = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "$Junk", "work", "Work-2"];


beforeAll(async () => {
  t = await tempDb();
  await addDomain(t.db, "example.org");
  const acct = (await addAccount(t.db, "s@example.org", "pw")).id;
  const r = rng(5);
  for (let i = 0; i < 60; i++) {
    const flags = FLAGS.filter(() => r() < 0.3);
    const body = `Subject: m${i}\r\n\r\n${"x".repeat(Math.floor(r() * 400))}\r\n`;
    const res = await appendMessage(t.db, acct, "INBOX", new TextEncoder().encode(body), flags, BASE + Math.floor(r() * 6 * DAY) - DAY);
    inbox = res.mailboxId;
  }
  // Some later MODSEQs, and a flag in an unusual case written by "another writer".
  await storeFlags(t.db, inbox, [3, 4, 5, 40], "add", ["\\Flagged"]);
  await t.db.writer.write([{ sql: "UPDATE mailbox_messages SET flags = json_array('\\SEEN', 'WORK') WHERE mailbox_id = ? AND uid = 7", args: [inbox] }]);
});
afterAll(async () => {
  await t.cleanup();
});

function randomKey(r: () => number, depth: number): SearchKey {
  const kinds = ["all", "answered", "deleted", "draft", "flagged", "seen", "unanswered", "undeleted", "undraft", "unflagged", "unseen"] as const;
  const x = r();
  if (depth > 0 && x < 0.15) return { kind: "not", key: randomKey(r, depth - 1) };
  if (depth > 0 && x < 0.3) return { kind: "or", a: randomKey(r, depth - 1), b: randomKey(r, depth - 1) };
  if (depth > 0 && x < 0.4) return { kind: "and", keys: [randomKey(r, depth - 1), randomKey(r, depth - 1)] };
  const y = r();
  if (y < 0.45) return { kind: kinds[Math.floor(r() * kinds.length)]! };
  if (y < 0.6) return { kind: r() < 0.5 ? "keyword" : "unkeyword", flag: ["work", "WORK", "$junk", "Work-2", "none", "50%_x"][Math.floor(r() * 6)]! };
  if (y < 0.75) return { kind: r() < 0.5 ? "larger" : "smaller", size: 20 + Math.floor(r() * 400) };
  if (y < 0.9) {
    const d = new Date(BASE + Math.floor(r() * 6 * DAY) - DAY).toISOString().slice(0, 10);
    return { kind: (["before", "on", "since"] as const)[Math.floor(r() * 3)]!, date: d };
  }
  return { kind: "modseq", modseq: BigInt(1 + Math.floor(r() * 70)), entry: null };
}

describe("SEARCH as SQL", () => {
  test("random keys: SQL and the JS evaluator agree on every message", async () => {
    const metas = await summariesInRange(t.db, inbox, 1, 1_000_000);
    const r = rng(11);
    const none = () => {
      throw new Error("content");
    };
    for (let i = 0; i < 400; i++) {
      const key = randomKey(r, 3);
      const cond = searchCondition(key);
      expect(cond).not.toBeNull();
      const withModseq = await matchingInRange(t.db, inbox, 1, 1_000_000, cond!);
      const got = withModseq.map(([u]) => u);
      // The modseq is each message's own; the UID-only form finds the same UIDs, modseq 0.
      for (const [u, ms] of withModseq) expect(ms).toBe(Number(metas.find((m) => m.uid === u)!.modseq));
      expect(await matchingInRange(t.db, inbox, 1, 1_000_000, cond!, false)).toEqual(got.map((u) => [u, 0]));
      const want = metas
        .filter((m, n) =>
          evaluate(key, { seq: n + 1, uid: m.uid, flags: m.flags, internalDate: m.internalDate, size: m.size, modseq: m.modseq, recent: false, header: none, headerText: none, bodyText: none, sentDate: none } satisfies SearchMessage, { maxSeq: metas.length, maxUid: 60, saved: null }),
        )
        .map((m) => m.uid);
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${JSON.stringify(key, (_, v) => (typeof v === "bigint" ? String(v) : v))}: SQL ${got} JS ${want}`);
      expect(got).toEqual(want);
    }
  });

  test("keys that need the session or the content stay in JS", () => {
    const keys: SearchKey[] = [
      { kind: "recent" },
      { kind: "new" },
      { kind: "seq", set: { kind: "set", ranges: [[1, 2]] } },
      { kind: "subject", value: "x" },
      { kind: "and", keys: [{ kind: "unseen" }, { kind: "body", value: "x" }] },
      { kind: "keyword", flag: "caf\u00e9" },
      { kind: "on", date: "2024-13-45x" },
    ] as SearchKey[];
    for (const k of keys) expect(searchCondition(k)).toBeNull();
  });
});
