// IMAP mailbox ops: name validation, CREATE with superiors, DELETE refusals, RENAME with
// inferiors and the INBOX special case, subscriptions by name, STATUS counts, restarts.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { tempDb } from "../db/temp-db.ts";
import type { TempDb } from "../db/temp-db.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { appendMessage } from "../../src/store/imap-append.ts";
import { vanishedSince } from "../../src/store/imap-changes.ts";
import { storeFlags } from "../../src/store/imap-flags.ts";
import { createMailbox, deleteMailbox } from "../../src/store/imap-mailboxes.ts";
import { listUids } from "../../src/store/imap-messages.ts";
import { validateMailboxName } from "../../src/store/imap-names.ts";
import { renameMailbox } from "../../src/store/imap-rename.ts";
import { listMailboxes, mailboxByName, statusOf } from "../../src/store/imap-status.ts";
import { listSubscriptions, subscribe, unsubscribe } from "../../src/store/imap-subscriptions.ts";

let t: TempDb;
let alice: number;

beforeEach(async () => {
  t = await tempDb();
  await addDomain(t.db, "example.org");
  alice = (await addAccount(t.db, "alice@example.org", "pw")).id;
});
afterEach(async () => {
  await t.cleanup();
});

const names = async () => (await listMailboxes(t.db, alice, { counts: false })).map((m) => m.name);
const add = (n: number, mailbox = "INBOX", flags: string[] = []) =>
  appendMessage(t.db, alice, mailbox, new TextEncoder().encode(`Subject: ${n}\r\n\r\n${"x".repeat(n)}\r\n`), flags, 1_000);

describe("mailbox names", () => {
  test.each(["", "/a", "a/", "a//b", "*", "a*", "a%b", "../x", "a/../b", "a/./b", "..", "a\u0000b", "a\nb", "\uD800x", "x".repeat(1025), "a/".repeat(40) + "a"])(
    "refuses %p with CANNOT",
    (name) => {
      expect(() => validateMailboxName(name)).toThrow(expect.objectContaining({ code: "CANNOT" }));
    },
  );

  test("accepts UTF-8, dots inside levels, and canonicalises INBOX", () => {
    expect(validateMailboxName("Entwürfe/日本語")).toBe("Entwürfe/日本語");
    expect(validateMailboxName("a.b/..c/[x]_y")).toBe("a.b/..c/[x]_y");
    expect(validateMailboxName("inbox")).toBe("INBOX");
    expect(validateMailboxName("Inbox/Sub")).toBe("INBOX/Sub");
  });
});

describe("createMailbox", () => {
  test("creates missing superiors; refuses duplicates with ALREADYEXISTS; fresh UIDVALIDITY each", async () => {
    const c = await createMailbox(t.db, alice, "Lists/bun/releases");
    expect(c.name).toBe("Lists/bun/releases");
    expect(await names()).toEqual(["INBOX", "Archive", "Drafts", "Junk", "Lists", "Lists/bun", "Lists/bun/releases", "Sent", "Trash"]);
    await expect(createMailbox(t.db, alice, "Lists/bun")).rejects.toMatchObject({ code: "ALREADYEXISTS" });
    await expect(createMailbox(t.db, alice, "inbox")).rejects.toMatchObject({ code: "ALREADYEXISTS" });
    expect((await createMailbox(t.db, alice, "Lists/deno/")).name).toBe("Lists/deno");
    const all = await listMailboxes(t.db, alice);
    expect(new Set(all.map((m) => m.uidValidity)).size).toBe(all.length);
    await expect(createMailbox(t.db, alice, "a//b")).rejects.toMatchObject({ code: "CANNOT" });
    await expect(createMailbox(t.db, alice, "../x")).rejects.toMatchObject({ code: "CANNOT" });
    await expect(createMailbox(t.db, alice, "*")).rejects.toMatchObject({ code: "CANNOT" });
  });

  test("concurrent creates sharing a superior both succeed; the superior is made once", async () => {
    const [a, b] = await Promise.all([createMailbox(t.db, alice, "P/a"), createMailbox(t.db, alice, "P/b")]);
    expect(a.id).not.toBe(b.id);
    expect((await names()).filter((n) => n.startsWith("P"))).toEqual(["P", "P/a", "P/b"]);
  });

  test("special-use: supported attributes stored, others USEATTR", async () => {
    await createMailbox(t.db, alice, "Old mail", "\\Archive");
    expect((await mailboxByName(t.db, alice, "Old mail"))!.specialUse).toBe("\\Archive");
    await expect(createMailbox(t.db, alice, "Everything", "\\All")).rejects.toMatchObject({ code: "USEATTR" });
  });

  test("a re-created mailbox gets a larger UIDVALIDITY and UIDs from 1", async () => {
    const first = await createMailbox(t.db, alice, "Work");
    await add(1, "Work");
    await deleteMailbox(t.db, alice, "Work");
    const second = await createMailbox(t.db, alice, "Work");
    expect(second.uidValidity).toBeGreaterThan(first.uidValidity);
    expect((await add(2, "Work")).uid).toBe(1);
  });
});

describe("deleteMailbox", () => {
  test("INBOX → CANNOT, missing → NONEXISTENT, with inferiors → HASCHILDREN", async () => {
    await expect(deleteMailbox(t.db, alice, "inbox")).rejects.toMatchObject({ code: "CANNOT" });
    await expect(deleteMailbox(t.db, alice, "Nope")).rejects.toMatchObject({ code: "NONEXISTENT" });
    await createMailbox(t.db, alice, "A/B");
    await expect(deleteMailbox(t.db, alice, "A")).rejects.toMatchObject({ code: "HASCHILDREN" });
    // "A_" must not count as an inferior of "A" (no LIKE wildcards).
    await createMailbox(t.db, alice, "A_");
    await deleteMailbox(t.db, alice, "A/B");
    const d = await deleteMailbox(t.db, alice, "A");
    expect(d.changes).toEqual([{ mailboxId: d.id, kind: "deleted", uids: [], modseq: 1 }]);
    expect(await names()).toContain("A_");
  });

  test("reports the messages it held; subscriptions survive the mailbox (RFC 9051 §6.3.7)", async () => {
    const box = await createMailbox(t.db, alice, "Tmp");
    await add(1, "Tmp");
    await add(2, "Tmp");
    await subscribe(t.db, alice, "Tmp");
    const d = await deleteMailbox(t.db, alice, "Tmp");
    expect(d.id).toBe(box.id);
    expect(d.changes[0]).toMatchObject({ kind: "deleted", uids: [1, 2] });
    expect(await statusOf(t.db, box.id)).toBeNull();
    expect(await listSubscriptions(t.db, alice)).toContain("Tmp");
    // Re-created: the existing subscription applies to it.
    await createMailbox(t.db, alice, "Tmp");
    expect((await mailboxByName(t.db, alice, "Tmp"))!.subscribed).toBe(true);
  });
});

describe("renameMailbox", () => {
  test("inferiors move too; UIDs, UIDVALIDITY and subscriptions follow; superiors created", async () => {
    const a = await createMailbox(t.db, alice, "A");
    await createMailbox(t.db, alice, "A/x/y");
    await createMailbox(t.db, alice, "AB");
    await add(1, "A");
    await subscribe(t.db, alice, "A/x");
    const r = await renameMailbox(t.db, alice, "A", "Z/New");
    expect(r).toMatchObject({ id: a.id, name: "Z/New", uidValidity: a.uidValidity, changes: [] });
    expect((await names()).filter((n) => /^(A|Z)(\/|B|$)/.test(n))).toEqual(["AB", "Z", "Z/New", "Z/New/x", "Z/New/x/y"]);
    expect((await listUids(t.db, a.id)).map((m) => m.uid)).toEqual([1]);
    const subs = await listSubscriptions(t.db, alice);
    expect(subs).toContain("Z/New/x");
    expect(subs).not.toContain("A/x");
    expect((await mailboxByName(t.db, alice, "Z/New/x"))!.subscribed).toBe(true);
  });

  test("refusals: missing source, existing target or inferior target, below itself, to INBOX", async () => {
    await createMailbox(t.db, alice, "A/x");
    await createMailbox(t.db, alice, "B/x");
    await expect(renameMailbox(t.db, alice, "Nope", "Q")).rejects.toMatchObject({ code: "NONEXISTENT" });
    expect(await names()).not.toContain("Q");
    await expect(renameMailbox(t.db, alice, "Nope", "Q/R")).rejects.toMatchObject({ code: "NONEXISTENT" });
    expect(await names()).not.toContain("Q");
    await expect(renameMailbox(t.db, alice, "A", "Sent")).rejects.toMatchObject({ code: "ALREADYEXISTS" });
    await createMailbox(t.db, alice, "C");
    await expect(renameMailbox(t.db, alice, "A", "C")).rejects.toMatchObject({ code: "ALREADYEXISTS" });
    await expect(renameMailbox(t.db, alice, "A", "A/x/z")).rejects.toMatchObject({ code: "CANNOT" });
    await expect(renameMailbox(t.db, alice, "A", "inbox")).rejects.toMatchObject({ code: "ALREADYEXISTS" });
    await expect(renameMailbox(t.db, alice, "A", "../A")).rejects.toMatchObject({ code: "CANNOT" });
    // A refused rename is one rolled-back op: nothing moved, no superior left behind.
    await expect(renameMailbox(t.db, alice, "B/x", "New/A/x")).resolves.toMatchObject({ name: "New/A/x" });
    await expect(renameMailbox(t.db, alice, "New/A/x", "A/x")).rejects.toMatchObject({ code: "ALREADYEXISTS" });
    await expect(renameMailbox(t.db, alice, "A", "Fresh/C")).resolves.toMatchObject({ name: "Fresh/C" });
    await expect(renameMailbox(t.db, alice, "Fresh", "C")).rejects.toMatchObject({ code: "ALREADYEXISTS" });
    expect(await names()).toEqual(["INBOX", "Archive", "B", "C", "Drafts", "Fresh", "Fresh/C", "Fresh/C/x", "Junk", "New", "New/A", "New/A/x", "Sent", "Trash"]);
  });

  test("INBOX: messages move to a new mailbox with fresh UIDVALIDITY and UIDs from 1; INBOX stays, empty", async () => {
    const inbox = (await mailboxByName(t.db, alice, "INBOX"))!;
    await createMailbox(t.db, alice, "INBOX/kept");
    for (let i = 1; i <= 4; i++) await add(i);
    await storeFlags(t.db, inbox.id, [3], "add", ["\\Flagged"]);
    await storeFlags(t.db, inbox.id, [1], "add", ["\\Deleted"]);
    const { expunge } = await import("../../src/store/imap-expunge.ts");
    await expunge(t.db, inbox.id);
    const h = (await statusOf(t.db, inbox.id))!.highestModseq;
    const r = await renameMailbox(t.db, alice, "Inbox", "Old/Inbox 2024");
    const after = (await statusOf(t.db, inbox.id))!;
    expect(after).toMatchObject({ id: inbox.id, name: "INBOX", uidValidity: inbox.uidValidity, uidNext: 5, messages: 0, highestModseq: h + 1 });
    const moved = (await statusOf(t.db, r.id))!;
    expect(moved.name).toBe("Old/Inbox 2024");
    expect(moved.uidValidity).toBeGreaterThan(inbox.uidValidity);
    expect(r.uidValidity).toBe(moved.uidValidity);
    const msgs = await listUids(t.db, r.id);
    expect(msgs.map((m) => [m.uid, m.flags])).toEqual([[1, []], [2, ["\\Flagged"]], [3, []]]);
    expect(moved.uidNext).toBe(4);
    expect(r.changes).toEqual([
      { mailboxId: r.id, kind: "exists", uids: [1, 2, 3], modseq: moved.highestModseq },
      { mailboxId: inbox.id, kind: "expunge", uids: [2, 3, 4], modseq: h + 1 },
    ]);
    expect(await vanishedSince(t.db, inbox.id, h)).toEqual([2, 3, 4]);
    expect(await names()).toEqual(expect.arrayContaining(["INBOX", "INBOX/kept", "Old", "Old/Inbox 2024"]));
    // New mail still lands in INBOX, with a UID never used there before.
    expect((await add(9)).uid).toBe(5);
    await expect(renameMailbox(t.db, alice, "INBOX", "Old/Inbox 2024")).rejects.toMatchObject({ code: "ALREADYEXISTS" });
    expect((await listUids(t.db, inbox.id)).map((m) => m.uid)).toEqual([5]);
  });
});

describe("subscriptions", () => {
  test("default mailboxes are subscribed; names without a mailbox can be subscribed; persistent", async () => {
    expect(await listSubscriptions(t.db, alice)).toEqual(["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"]);
    expect(await subscribe(t.db, alice, "Not/yet")).toBe(true);
    expect(await subscribe(t.db, alice, "Not/yet")).toBe(false);
    expect(await unsubscribe(t.db, alice, "Junk")).toBe(true);
    expect(await unsubscribe(t.db, alice, "Junk")).toBe(false);
    expect((await mailboxByName(t.db, alice, "Junk"))!.subscribed).toBe(false);
    await expect(subscribe(t.db, alice, "a//b")).rejects.toMatchObject({ code: "CANNOT" });
    await subscribe(t.db, alice, "inbox");
    await t.reopen();
    expect(await listSubscriptions(t.db, alice)).toEqual(["Archive", "Drafts", "INBOX", "Not/yet", "Sent", "Trash"]);
    await createMailbox(t.db, alice, "Not/yet");
    const boxes = await listMailboxes(t.db, alice);
    expect(boxes.find((b) => b.name === "Not/yet")!.subscribed).toBe(true);
    expect(boxes.find((b) => b.name === "Not")!.subscribed).toBe(false);
  });
});

describe("status", () => {
  test("counts: messages, unseen, deleted, size; listMailboxes agrees with statusOf", async () => {
    await add(10, "INBOX", ["\\Seen"]);
    await add(20, "INBOX", ["\\Deleted"]);
    await add(30, "Sent", ["\\Seen", "\\Deleted"]);
    const inbox = (await mailboxByName(t.db, alice, "INBOX"))!;
    expect(inbox).toMatchObject({ name: "INBOX", messages: 2, unseen: 1, deleted: 1, uidNext: 3, subscribed: true, specialUse: null });
    expect(inbox.size).toBe(2 * "Subject: 10\r\n\r\n\r\n".length + 30);
    const all = await listMailboxes(t.db, alice);
    expect(all[0]).toEqual(inbox);
    expect(all.find((m) => m.name === "Sent")).toMatchObject({ messages: 1, unseen: 0, deleted: 1, specialUse: "\\Sent" });
    expect(all.find((m) => m.name === "Trash")).toMatchObject({ messages: 0, unseen: 0, deleted: 0, size: 0 });
    expect(await mailboxByName(t.db, alice, "a//b")).toBeNull();
    expect(await statusOf(t.db, 99999)).toBeNull();
  });
});
