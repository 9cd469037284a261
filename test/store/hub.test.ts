// MailboxHub: per-mailbox fan-out, unsubscribe, isolation of throwing listeners, and the
// intended flow — a store op returns its changes, the caller publishes once durable.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { tempDb } from "../db/temp-db.ts";
import type { TempDb } from "../db/temp-db.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { MailboxHub } from "../../src/store/hub.ts";
import type { MailboxChange } from "../../src/store/hub.ts";
import { appendMessage } from "../../src/store/imap-append.ts";
import { storeFlags } from "../../src/store/imap-flags.ts";
import { createMailbox } from "../../src/store/imap-mailboxes.ts";
import { moveMessages } from "../../src/store/imap-copy-move.ts";
import { mailboxByName } from "../../src/store/imap-status.ts";

const change = (mailboxId: number, kind: MailboxChange["kind"] = "exists"): MailboxChange => ({ mailboxId, kind, uids: [1], modseq: 2 });

describe("MailboxHub", () => {
  test("delivers to the listeners of that mailbox only, in subscription order", () => {
    const hub = new MailboxHub();
    const got: string[] = [];
    hub.subscribe(1, (c) => got.push(`a${c.mailboxId}`));
    hub.subscribe(1, (c) => got.push(`b${c.mailboxId}`));
    hub.subscribe(2, (c) => got.push(`c${c.mailboxId}`));
    hub.publish(change(1));
    hub.publish(change(3));
    expect(got).toEqual(["a1", "b1"]);
  });

  test("unsubscribe is idempotent and per registration; empty sets are dropped", () => {
    const hub = new MailboxHub();
    const got: number[] = [];
    const l = (c: MailboxChange) => got.push(c.modseq);
    const off1 = hub.subscribe(7, l);
    const off2 = hub.subscribe(7, l);
    expect(hub.listenerCount(7)).toBe(2);
    off1();
    off1();
    hub.publish(change(7));
    expect(got).toEqual([2]);
    off2();
    expect(hub.listenerCount(7)).toBe(0);
    hub.publish(change(7));
    expect(got).toEqual([2]);
  });

  test("a throwing listener is reported and does not stop the others; self-unsubscribe while publishing", () => {
    const errors: unknown[] = [];
    const hub = new MailboxHub({ onError: (e) => errors.push(e) });
    const got: string[] = [];
    const off = hub.subscribe(1, () => {
      got.push("once");
      off();
    });
    hub.subscribe(1, () => {
      throw new Error("boom");
    });
    hub.subscribe(1, () => got.push("after"));
    expect(() => hub.publish(change(1))).not.toThrow();
    hub.publish(change(1));
    expect(got).toEqual(["once", "after", "after"]);
    expect(errors).toHaveLength(2);
  });

  test("changes with no UIDs are not published (an op that matched nothing), except deletion", () => {
    const hub = new MailboxHub();
    const got: string[] = [];
    hub.subscribe(1, (c) => got.push(c.kind));
    hub.publishAll([{ mailboxId: 1, kind: "flags", uids: [], modseq: 3 }, { mailboxId: 1, kind: "deleted", uids: [], modseq: 3 }]);
    expect(got).toEqual(["deleted"]);
  });
});

describe("store ops → hub", () => {
  let t: TempDb;
  beforeEach(async () => {
    t = await tempDb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  test("APPEND, STORE and MOVE changes reach IDLE-like listeners after the write resolved", async () => {
    await addDomain(t.db, "example.org");
    const alice = (await addAccount(t.db, "alice@example.org", "pw")).id;
    const inbox = (await mailboxByName(t.db, alice, "INBOX"))!.id;
    const work = (await createMailbox(t.db, alice, "Work")).id;
    const hub = new MailboxHub();
    const seen: MailboxChange[] = [];
    hub.subscribe(inbox, (c) => seen.push(c));
    hub.subscribe(work, (c) => seen.push(c));
    const a = await appendMessage(t.db, alice, inbox, new TextEncoder().encode("Subject: x\r\n\r\nx\r\n"));
    hub.publishAll(a.changes);
    const s = await storeFlags(t.db, inbox, [a.uid], "add", ["\\Seen"]);
    hub.publishAll(s.changes.map((c) => ({ ...c, origin: "session-1" })));
    const m = await moveMessages(t.db, inbox, [a.uid], work);
    hub.publishAll(m.changes);
    expect(seen.map((c) => [c.mailboxId, c.kind, c.uids, c.origin])).toEqual([
      [inbox, "exists", [1], undefined],
      [inbox, "flags", [1], "session-1"],
      [work, "exists", [1], undefined],
      [inbox, "expunge", [1], undefined],
    ]);
    expect(seen.map((c) => c.modseq)).toEqual([2, 3, 2, 4]);
  });
});
