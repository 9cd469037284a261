// A session's mailbox view: pending changes announced at the allowed point, \Recent for
// messages that arrived while selected; nothing is allocated until something happens.

import { expect, test } from "bun:test";
import { MailboxView } from "../../../src/protocol/imap/view.ts";

const change = (kind: "exists" | "expunge" | "flags" | "deleted", uids: number[], modseq = 10) => ({ kind, uids, modseq });

test("a fresh view has nothing pending and no recent messages", () => {
  const v = new MailboxView([1, 2, 3], 5);
  expect(v.recent.size).toBe(0);
  expect(v.hasPendingExpunge).toBe(false);
  expect(v.takeUpdate(true, false)).toEqual({ expunged: [], vanished: [], exists: null, flags: [], deleted: false });
});

test("new messages become EXISTS and \\Recent of this view only", () => {
  const a = new MailboxView([1, 2], 5);
  const b = new MailboxView([1, 2], 5);
  a.onChange(change("exists", [4, 3]));
  a.onChange(change("exists", [3]));
  expect(a.takeUpdate(false, false)).toEqual({ expunged: [], vanished: [], exists: 4, flags: [], deleted: false });
  expect([...a.recent]).toEqual([3, 4]);
  expect(b.recent.size).toBe(0);
  expect(a.highestModseq).toBe(10);
  expect(a.takeUpdate(true, false).exists).toBeNull();
});

test("expunges wait until allowed; a message added and removed before announcing is never seen", () => {
  const v = new MailboxView([1, 2, 3], 5);
  v.onChange(change("exists", [4]));
  v.onChange(change("expunge", [4, 2]));
  v.onChange(change("flags", [2, 3]));
  expect(v.hasPendingExpunge).toBe(true);
  expect(v.takeUpdate(false, false)).toEqual({ expunged: [], vanished: [], exists: null, flags: [2, 3], deleted: false });
  v.onChange(change("flags", [2, 3]));
  expect(v.takeUpdate(true, false)).toEqual({ expunged: [2], vanished: [], exists: null, flags: [3], deleted: false });
  expect(v.exists).toBe(2);
  expect(v.hasPendingExpunge).toBe(false);
});

test("QRESYNC sessions get VANISHED; recent is dropped with the message", () => {
  const v = new MailboxView([1], 5);
  v.onChange(change("exists", [2, 3]));
  v.takeUpdate(true, true);
  v.onChange(change("expunge", [2]));
  expect(v.takeUpdate(true, true)).toEqual({ expunged: [], vanished: [2], exists: null, flags: [], deleted: false });
  expect([...v.recent]).toEqual([3]);
});

test("own expunges apply at once and cancel what was pending for those messages", () => {
  const v = new MailboxView([1, 2, 3], 5);
  v.onChange(change("exists", [4, 5]));
  v.takeUpdate(true, false);
  v.onChange(change("exists", [6]));
  v.onChange(change("flags", [2]));
  v.onChange(change("expunge", [2]));
  expect(v.applyOwnExpunge([2, 4, 6])).toEqual([2, 3]);
  expect([...v.recent]).toEqual([5]);
  expect(v.takeUpdate(true, false)).toEqual({ expunged: [], vanished: [], exists: null, flags: [], deleted: false });
  expect(v.uids).toEqual([1, 3, 5]);
});

test("a deleted mailbox is reported", () => {
  const v = new MailboxView([1], 5);
  v.onChange(change("deleted", [1]));
  expect(v.takeUpdate(true, false).deleted).toBe(true);
});
