// STATUS (RFC 9051 §6.3.11, RFC 3501 §6.3.10 RECENT, RFC 8438 SIZE, RFC 7162 HIGHESTMODSEQ,
// RFC 7889 APPENDLIMIT) and LIST-STATUS (RFC 5819) transcripts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fresh, lines, no, put, RawImap, startImapServer, type TestServer } from "./imap-mailboxes-helpers.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startImapServer();
});
afterAll(async () => {
  await t.stop();
});

/** "* STATUS name (A 1 B 2)" → { A: "1", B: "2" }. */
function items(line: string): Record<string, string> {
  const inner = /\(([^()]*)\)$/.exec(line)![1].split(" ");
  const out: Record<string, string> = {};
  for (let i = 0; i < inner.length; i += 2) out[inner[i]] = inner[i + 1];
  return out;
}

describe("STATUS", () => {
  test("counts, sizes and counters of a mailbox", async () => {
    const { c, id } = await fresh(t);
    const sizes = [await put(t, id, "INBOX", "one"), await put(t, id, "INBOX", "two", ["\\Seen"]), await put(t, id, "INBOX", "three", ["\\Deleted", "\\Seen"])];
    const sel = await c.cmd("EXAMINE INBOX");
    const uidValidity = /UIDVALIDITY (\d+)/.exec(sel.raw)![1];
    const modseq = /HIGHESTMODSEQ (\d+)/.exec(sel.raw)![1];
    await c.cmd("CLOSE");
    const r = await c.cmd("STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ)");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual([
      `* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UIDVALIDITY ${uidValidity} UNSEEN 1 DELETED 1 SIZE ${sizes[0] + sizes[1] + sizes[2]} HIGHESTMODSEQ ${modseq})`,
    ]);
    // Items in the order asked; "inbox" is INBOX.
    expect((await c.cmd("STATUS inbox (UNSEEN MESSAGES)")).untagged).toEqual(["* STATUS INBOX (UNSEEN 1 MESSAGES 3)"]);
    expect((await c.cmd("STATUS Sent (MESSAGES SIZE UNSEEN)")).untagged).toEqual(["* STATUS Sent (MESSAGES 0 SIZE 0 UNSEEN 0)"]);
    c.close();
  });

  test("APPENDLIMIT is the advertised limit; RECENT is rev1 only", async () => {
    const { c } = await fresh(t);
    const caps = (await c.cmd("CAPABILITY")).untagged[0];
    const limit = /APPENDLIMIT=(\d+)/.exec(caps)![1];
    expect(items((await c.cmd("STATUS Drafts (APPENDLIMIT RECENT)")).untagged[0])).toEqual({ APPENDLIMIT: limit, RECENT: "0" });
    await c.cmd("ENABLE IMAP4rev2");
    expect((await c.cmd("STATUS Drafts (RECENT)")).status).toBe("BAD");
    expect((await c.cmd("STATUS Drafts (MESSAGES DELETED SIZE)")).untagged).toEqual(["* STATUS Drafts (MESSAGES 0 DELETED 0 SIZE 0)"]);
    c.close();
  });

  test("errors: missing mailbox, another account's, traversal, bad name, bad item", async () => {
    const { c } = await fresh(t);
    expect(await c.cmd("STATUS Nope (MESSAGES)")).toMatchObject(no("NONEXISTENT"));
    expect(await c.cmd('STATUS "../bob@example.test/INBOX" (MESSAGES)')).toMatchObject(no("NONEXISTENT"));
    expect(await c.cmd('STATUS "INBOX/../INBOX" (MESSAGES)')).toMatchObject(no("NONEXISTENT"));
    expect((await c.cmd('STATUS "&Jjo" (MESSAGES)')).status).toBe("BAD");
    expect((await c.cmd("STATUS INBOX (FOO)")).status).toBe("BAD");
    expect((await c.cmd("STATUS INBOX ()")).status).toBe("BAD");
    c.close();
  });

  test("is allowed on the selected mailbox and reflects changes made meanwhile", async () => {
    const { c, id } = await fresh(t);
    await put(t, id, "INBOX", "a");
    expect((await c.cmd("SELECT INBOX")).status).toBe("OK");
    await put(t, id, "INBOX", "b");
    expect((await c.cmd("STATUS INBOX (MESSAGES UIDNEXT)")).untagged).toEqual(["* STATUS INBOX (MESSAGES 2 UIDNEXT 3)"]);
    c.close();
  });

  test("STATUS (HIGHESTMODSEQ) enables CONDSTORE (RFC 7162 §3.1): FETCH then carries MODSEQ", async () => {
    const { c, id } = await fresh(t);
    await put(t, id, "INBOX", "a");
    await c.cmd("EXAMINE INBOX");
    expect((await c.cmd("FETCH 1 (FLAGS)")).untagged[0]).not.toContain("MODSEQ");
    expect(items((await c.cmd("STATUS Sent (HIGHESTMODSEQ)")).untagged[0])).toEqual({ HIGHESTMODSEQ: expect.stringMatching(/^\d+$/) });
    expect((await c.cmd("FETCH 1 (FLAGS)")).untagged[0]).toMatch(/MODSEQ \(\d+\)/);
    c.close();
  });

  test("international names: modified UTF-7 for rev1, UTF-8 once enabled", async () => {
    const a = await fresh(t);
    await a.c.cmd('CREATE "&ZeVnLIqe-"');
    await put(t, a.id, "日本語", "x");
    expect((await a.c.cmd('STATUS "&ZeVnLIqe-" (MESSAGES)')).untagged).toEqual(["* STATUS &ZeVnLIqe- (MESSAGES 1)"]);
    const u: RawImap = await a.login();
    await u.cmd("ENABLE UTF8=ACCEPT");
    expect(lines(await u.cmd('STATUS "日本語" (MESSAGES)'))).toEqual(['* STATUS "日本語" (MESSAGES 1)']);
    expect((await a.c.cmd('STATUS "日本語" (MESSAGES)')).status).toBe("BAD");
    a.c.close();
    u.close();
  });
});

describe("LIST-STATUS", () => {
  test("each listed mailbox is followed by its STATUS; non-existent names get none", async () => {
    const { c, id } = await fresh(t);
    await c.cmd("CREATE Work/Inbox2");
    await put(t, id, "Work/Inbox2", "w", ["\\Seen"]);
    await put(t, id, "INBOX", "i");
    await c.cmd("SUBSCRIBE Work/Inbox2");
    await c.cmd("SUBSCRIBE Ghost");
    expect(lines(await c.cmd('LIST "" ("INBOX" "Work*") RETURN (STATUS (MESSAGES UNSEEN))'))).toEqual([
      '* LIST (\\HasNoChildren) "/" INBOX',
      "* STATUS INBOX (MESSAGES 1 UNSEEN 1)",
      '* LIST (\\HasChildren) "/" Work',
      "* STATUS Work (MESSAGES 0 UNSEEN 0)",
      '* LIST (\\HasNoChildren) "/" Work/Inbox2',
      "* STATUS Work/Inbox2 (MESSAGES 1 UNSEEN 0)",
    ]);
    expect(lines(await c.cmd('LIST (SUBSCRIBED) "" "*o*" RETURN (STATUS (MESSAGES) SUBSCRIBED)'))).toEqual([
      '* LIST (\\Subscribed \\HasNoChildren) "/" INBOX',
      "* STATUS INBOX (MESSAGES 1)",
      '* LIST (\\NonExistent \\Subscribed) "/" Ghost',
      '* LIST (\\Subscribed \\HasNoChildren) "/" Work/Inbox2',
      "* STATUS Work/Inbox2 (MESSAGES 1)",
    ]);
    c.close();
  });

  test("rev2: RECENT is BAD; other items as STATUS; names in UTF-8", async () => {
    const { c } = await fresh(t);
    await c.cmd("ENABLE IMAP4rev2");
    await c.cmd('CREATE "Ünïcode"');
    expect((await c.cmd('LIST "" "*" RETURN (STATUS (RECENT))')).status).toBe("BAD");
    expect(lines(await c.cmd('LIST "" "Ü*" RETURN (STATUS (SIZE DELETED))'))).toEqual([
      '* LIST (\\HasNoChildren) "/" "Ünïcode"',
      '* STATUS "Ünïcode" (SIZE 0 DELETED 0)',
    ]);
    c.close();
  });
});
