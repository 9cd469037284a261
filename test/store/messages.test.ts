// Local delivery: UIDs from the mailbox counter (increasing, never reused — across
// expunge, grouped commits and restarts), bodies stored once, target mailbox resolution.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { tempDb } from "../db/temp-db.ts";
import type { TempDb } from "../db/temp-db.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { createMailbox, deleteMailboxOp } from "../../src/store/mailboxes.ts";
import { deliverOp, expungeOp, findMailbox, getBody, hashBody, listMessages, readDeliveries } from "../../src/store/messages.ts";
import type { DeliveryTarget } from "../../src/store/messages.ts";
import { newQueueId } from "../../src/store/ids.ts";

let t: TempDb;
let alice: number;
let bob: number;

beforeEach(async () => {
  t = await tempDb();
  await addDomain(t.db, "example.org");
  alice = (await addAccount(t.db, "alice@example.org", "pw")).id;
  bob = (await addAccount(t.db, "bob@example.org", "pw")).id;
});
afterEach(async () => {
  await t.cleanup();
});

function message(n: number | string, targets: DeliveryTarget[], flags?: string[]) {
  const raw = new TextEncoder().encode(`Subject: ${n}\r\n\r\nbody ${n}\r\n`);
  return deliverOp({ bodyHash: hashBody(raw), raw, mimeJson: `{"n":"${n}"}`, targets, internalDate: 1_700_000_000_000, queueId: newQueueId(), flags });
}

async function uids(accountId: number, name = "INBOX"): Promise<number[]> {
  const box = await findMailbox(t.db, accountId, name);
  return (await listMessages(t.db, box!.id)).map((m) => m.uid);
}

describe("deliverOp", () => {
  test("one body row for two recipients; each gets its own mailbox entry", async () => {
    const res = await t.db.writer.write(message("shared", [{ accountId: alice, mailbox: "INBOX" }, { accountId: bob, mailbox: "INBOX" }], ["\\Recent", "$Label", "$Label"]));
    const delivered = readDeliveries(res);
    expect(delivered.map((d) => d.uid)).toEqual([1, 1]);
    const bodies = await t.db.client.execute("SELECT count(*) AS n FROM bodies");
    expect(Number(bodies.rows[0].n)).toBe(1);
    // Delivering the same bytes again still stores the body once.
    await t.db.writer.write(message("shared", [{ accountId: alice, mailbox: "INBOX" }]));
    expect(Number((await t.db.client.execute("SELECT count(*) AS n FROM bodies")).rows[0].n)).toBe(1);
    const [m] = await listMessages(t.db, delivered[1].mailboxId);
    expect(m.flags).toEqual(["\\Recent", "$Label"]);
    const body = await getBody(t.db, m.bodyHash);
    expect(new TextDecoder().decode(body!.content)).toBe("Subject: shared\r\n\r\nbody shared\r\n");
    expect(body!.mime).toBe('{"n":"shared"}');
    expect(body!.size).toBe(m.size);
  });

  test("concurrent deliveries grouped into shared commits get distinct, increasing UIDs and MODSEQs", async () => {
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => t.db.writer.write(message(i, [{ accountId: alice, mailbox: "INBOX" }]))));
    expect(results.map((r) => readDeliveries(r)[0].uid)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const box = await findMailbox(t.db, alice, "inbox");
    expect(box!.uidNext).toBe(101);
    expect(box!.highestModseq).toBe(101);
    const msgs = await listMessages(t.db, box!.id);
    expect(msgs.map((m) => m.modseq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
  });

  test("UIDs are never reused after expunge, nor after close and reopen", async () => {
    for (let i = 0; i < 5; i++) await t.db.writer.write(message(i, [{ accountId: alice, mailbox: "INBOX" }]));
    const box = (await findMailbox(t.db, alice, "INBOX"))!;
    // Expunge the highest UIDs: a rowid/MAX(uid)+1 scheme would hand 4 and 5 out again.
    await t.db.writer.write(expungeOp(box.id, [4, 5]));
    expect(await uids(alice)).toEqual([1, 2, 3]);
    await t.db.writer.write(message("after-expunge", [{ accountId: alice, mailbox: "INBOX" }]));
    expect(await uids(alice)).toEqual([1, 2, 3, 6]);
    await t.db.writer.write(expungeOp(box.id, [1, 2, 3, 6]));
    await t.reopen();
    await t.db.writer.write(message("after-restart", [{ accountId: alice, mailbox: "INBOX" }]));
    expect(await uids(alice)).toEqual([7]);
    const again = (await findMailbox(t.db, alice, "INBOX"))!;
    expect(again.uidvalidity).toBe(box.uidvalidity);
    expect(again.highestModseq).toBeGreaterThan(box.highestModseq);
  });

  test("Junk by name, a renamed Junk by special-use, a missing folder falls back to INBOX", async () => {
    await t.db.writer.write(message("spam", [{ accountId: alice, mailbox: "Junk" }]));
    expect(await uids(alice, "Junk")).toEqual([1]);
    await t.db.writer.write([{ sql: "UPDATE mailboxes SET name = 'Spam' WHERE account_id = ? AND name = 'Junk'", args: [bob] }]);
    await t.db.writer.write(message("spam2", [{ accountId: bob, mailbox: "Junk" }]));
    expect(await uids(bob, "Spam")).toEqual([1]);
    await t.db.writer.write(message("lost?", [{ accountId: alice, mailbox: "No/Such/Folder" }]));
    expect(await uids(alice, "INBOX")).toEqual([1]);
    const id = await createMailbox(t.db, alice, "Lists/bun");
    await t.db.writer.write(message("list", [{ accountId: alice, mailbox: "Lists/bun" }]));
    expect(await uids(alice, "Lists/bun")).toEqual([1]);
    expect(id).toBe((await findMailbox(t.db, alice, "Lists/bun"))!.id);
  });

  test("a re-created mailbox gets a new, larger UIDVALIDITY and starts UIDs again", async () => {
    await createMailbox(t.db, alice, "Work");
    await t.db.writer.write(message("w", [{ accountId: alice, mailbox: "Work" }]));
    const first = (await findMailbox(t.db, alice, "Work"))!;
    await expect(createMailbox(t.db, alice, "Work")).rejects.toMatchObject({ code: "MAILBOX_EXISTS" });
    await t.db.writer.write(deleteMailboxOp(first.id));
    await createMailbox(t.db, alice, "Work");
    const second = (await findMailbox(t.db, alice, "Work"))!;
    expect(second.uidvalidity).toBeGreaterThan(first.uidvalidity);
    expect(second.uidNext).toBe(1);
  });

  test("a target whose account is gone yields no entry; the others still commit", async () => {
    const res = await t.db.writer.write(message("x", [{ accountId: 9999, mailbox: "INBOX" }, { accountId: bob, mailbox: "INBOX" }]));
    expect(readDeliveries(res).map((d) => d.uid)).toEqual([1]);
  });
});
