// IMAP mailbox management transcripts: CREATE (RFC 9051 §6.3.4, RFC 6154 §3), DELETE
// (§6.3.5), RENAME (§6.3.6), SUBSCRIBE/UNSUBSCRIBE (§6.3.7-8), invalid names, path
// traversal, other sessions being told, and accounts never seeing each other's mailboxes.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fresh, lines, listNames, no, put, RawImap, startImapServer, type TestServer } from "./imap-mailboxes-helpers.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startImapServer();
});
afterAll(async () => {
  await t.stop();
});

const DEFAULTS = ["INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"];

describe("CREATE", () => {
  test("creates a mailbox, then ALREADYEXISTS; INBOX in any case always exists", async () => {
    const { c } = await fresh(t);
    expect(await c.cmd("CREATE Projects")).toMatchObject({ status: "OK", untagged: [] });
    expect(listNames(await c.cmd('LIST "" "*"'))).toEqual([...DEFAULTS.slice(0, 4), "Projects", "Sent", "Trash"]);
    expect(await c.cmd("CREATE Projects")).toMatchObject(no("ALREADYEXISTS"));
    for (const name of ["INBOX", "inbox", '"InBoX"']) {
      expect(await c.cmd(`CREATE ${name}`)).toMatchObject(no("ALREADYEXISTS"));
    }
    c.close();
  });

  test("creates missing superiors; a trailing delimiter only declares inferiors", async () => {
    const { c } = await fresh(t);
    expect((await c.cmd("CREATE Work/Projects/2024")).status).toBe("OK");
    expect((await c.cmd("CREATE Lists/")).status).toBe("OK");
    expect(listNames(await c.cmd('LIST "" "*"'))).toEqual([
      "INBOX", "Archive", "Drafts", "Junk", "Lists", "Sent", "Trash", "Work", "Work/Projects", "Work/Projects/2024",
    ]);
    // Creating an existing superior is still ALREADYEXISTS.
    expect((await c.cmd("CREATE Work")).text).toStartWith("[ALREADYEXISTS]");
    // INBOX may have inferiors (RFC 9051 §5.1), spelled in any case.
    expect((await c.cmd("CREATE inbox/Receipts")).status).toBe("OK");
    expect(listNames(await c.cmd('LIST "" "INBOX/*"'))).toEqual(["INBOX/Receipts"]);
    c.close();
  });

  test("CREATE-SPECIAL-USE: USE (\\Drafts) sets the attribute; unsupported ones are USEATTR and create nothing", async () => {
    const { c } = await fresh(t);
    expect((await c.cmd("CREATE MyDrafts (USE (\\Drafts))")).status).toBe("OK");
    expect(lines(await c.cmd('LIST "" MyDrafts'))).toEqual(['* LIST (\\HasNoChildren \\Drafts) "/" MyDrafts']);
    expect(await c.cmd("CREATE Everything (USE (\\All))")).toMatchObject(no("USEATTR"));
    expect(await c.cmd("CREATE Odd (USE (\\Whatever))")).toMatchObject(no("USEATTR"));
    expect(await c.cmd("CREATE Two (USE (\\Sent \\Trash))")).toMatchObject(no("USEATTR"));
    expect((await c.cmd("CREATE Plain (USE ())")).status).toBe("OK");
    expect(lines(await c.cmd('LIST "" "*"')).filter((l) => /Everything|Odd|Two|Plain/.test(l))).toEqual(['* LIST (\\HasNoChildren) "/" Plain']);
    // Unknown CREATE parameters are a syntax error (RFC 4466 §2.2).
    expect((await c.cmd("CREATE X (FOO (\\Sent))")).status).toBe("BAD");
    c.close();
  });

  test("invalid names and path traversal are refused with CANNOT; invalid encodings are BAD", async () => {
    const { c } = await fresh(t);
    for (const name of ['"../x"', '"INBOX/../bob"', '"a/./b"', '".."', '"a//b"', '"/abs"', '"a%b"', '"a*b"', '""']) {
      expect({ name, ...(await c.cmd(`CREATE ${name}`)) }).toMatchObject({ name, ...no("CANNOT") });
    }
    // Not modified UTF-7 (unterminated shift, non-canonical "&AGE-" for "a").
    expect((await c.cmd('CREATE "&Jjo"')).status).toBe("BAD");
    expect((await c.cmd('CREATE "&AGE-"')).status).toBe("BAD");
    // Raw UTF-8 from a rev1 client without UTF8=ACCEPT is not a valid name.
    expect((await c.cmd('CREATE "Entwürfe"')).status).toBe("BAD");
    expect(listNames(await c.cmd('LIST "" "*"'))).toEqual(DEFAULTS);
    c.close();
  });

  test("is refused before authentication", async () => {
    const c = await RawImap.connect(t.port("imap"));
    await c.line();
    expect((await c.cmd("CREATE Foo")).status).toBe("BAD");
    expect((await c.cmd('LIST "" "*"')).status).toBe("BAD");
    expect((await c.cmd("STATUS INBOX (MESSAGES)")).status).toBe("BAD");
    c.close();
  });
});

describe("DELETE", () => {
  test("INBOX cannot be deleted; missing is NONEXISTENT; inferiors are HASCHILDREN", async () => {
    const { c } = await fresh(t);
    expect(await c.cmd("DELETE INBOX")).toMatchObject(no("CANNOT"));
    expect(await c.cmd("DELETE inbox")).toMatchObject(no("CANNOT"));
    expect(await c.cmd("DELETE Nope")).toMatchObject(no("NONEXISTENT"));
    await c.cmd("CREATE Work/Old");
    expect(await c.cmd("DELETE Work")).toMatchObject(no("HASCHILDREN"));
    expect((await c.cmd("DELETE Work/Old")).status).toBe("OK");
    expect((await c.cmd("DELETE Work")).status).toBe("OK");
    expect(listNames(await c.cmd('LIST "" "*"'))).toEqual(DEFAULTS);
    expect(await c.cmd('DELETE "../x"')).toMatchObject(no("CANNOT"));
    c.close();
  });

  test("a special-use mailbox can be deleted; its subscription stays (\\NonExistent); re-creation gets a new UIDVALIDITY", async () => {
    const { c } = await fresh(t);
    const before = (await c.cmd("STATUS Junk (UIDVALIDITY)")).untagged[0];
    expect((await c.cmd("DELETE Junk")).status).toBe("OK");
    expect(lines(await c.cmd('LIST (SUBSCRIBED) "" Junk'))).toEqual(['* LIST (\\NonExistent \\Subscribed) "/" Junk']);
    expect((await c.cmd("CREATE Junk")).status).toBe("OK");
    // A new incarnation never reuses UIDs under the old UIDVALIDITY (RFC 9051 §6.3.5).
    expect((await c.cmd("STATUS Junk (UIDVALIDITY)")).untagged[0]).not.toBe(before);
    expect(lines(await c.cmd('LIST "" Junk RETURN (SUBSCRIBED)'))).toEqual(['* LIST (\\Subscribed \\HasNoChildren) "/" Junk']);
    c.close();
  });

  test("another session with the mailbox selected is told with BYE; our own selection ends with [CLOSED]", async () => {
    const a = await fresh(t);
    await a.c.cmd("CREATE Doomed");
    await put(t, a.id, "Doomed", "one");
    const other = await a.login();
    expect((await other.cmd("SELECT Doomed")).status).toBe("OK");
    expect((await a.c.cmd("DELETE Doomed")).status).toBe("OK");
    const r = await other.cmd("NOOP").catch((e: Error) => e);
    const seen = r instanceof Error ? r.message : r.raw;
    expect(seen).toContain("* BYE [CLOSED]");
    expect(await other.waitClosed()).toBe(true);

    // The deleting session itself had it selected.
    await a.c.cmd("CREATE Doomed2");
    expect((await a.c.cmd("SELECT Doomed2")).status).toBe("OK");
    const d = await a.c.cmd("DELETE Doomed2");
    expect(d.status).toBe("OK");
    expect(d.untagged).toEqual(["* OK [CLOSED] Selected mailbox deleted"]);
    // Back in the authenticated state: selected-state commands are BAD now.
    expect((await a.c.cmd("FETCH 1 FLAGS")).status).toBe("BAD");
    expect((await a.c.cmd("NOOP")).status).toBe("OK");
    a.c.close();
  });
});

describe("RENAME", () => {
  test("moves the mailbox with its inferiors and keeps UIDVALIDITY and messages", async () => {
    const { c, id } = await fresh(t);
    await c.cmd("CREATE Work/A/B");
    await put(t, id, "Work/A", "hello");
    const before = (await c.cmd("STATUS Work/A (UIDVALIDITY MESSAGES)")).untagged[0].split(" (")[1];
    expect((await c.cmd("RENAME Work Play/Old")).status).toBe("OK");
    expect(listNames(await c.cmd('LIST "" "*"'))).toEqual(["INBOX", "Archive", "Drafts", "Junk", "Play", "Play/Old", "Play/Old/A", "Play/Old/A/B", "Sent", "Trash"]);
    expect((await c.cmd("STATUS Play/Old/A (UIDVALIDITY MESSAGES)")).untagged).toEqual([`* STATUS Play/Old/A (${before}`]);
    c.close();
  });

  test("errors: NONEXISTENT source, ALREADYEXISTS target or INBOX, CANNOT into itself or invalid", async () => {
    const { c } = await fresh(t);
    await c.cmd("CREATE A/B");
    await c.cmd("CREATE C");
    expect((await c.cmd("RENAME Nope X")).text).toStartWith("[NONEXISTENT]");
    expect((await c.cmd("RENAME A C")).text).toStartWith("[ALREADYEXISTS]");
    expect((await c.cmd("RENAME C A")).text).toStartWith("[ALREADYEXISTS]");
    expect((await c.cmd("RENAME C inbox")).text).toStartWith("[ALREADYEXISTS]");
    expect((await c.cmd("RENAME A A")).text).toStartWith("[ALREADYEXISTS]");
    expect((await c.cmd("RENAME A A/B/C")).text).toStartWith("[CANNOT]");
    expect((await c.cmd('RENAME C "../bob"')).text).toStartWith("[CANNOT]");
    expect((await c.cmd('RENAME C "INBOX/../x"')).text).toStartWith("[CANNOT]");
    expect((await c.cmd('RENAME "&Jjo" X')).status).toBe("BAD");
    expect(listNames(await c.cmd('LIST "" "*"'))).toEqual(["INBOX", "A", "A/B", "Archive", "C", "Drafts", "Junk", "Sent", "Trash"]);
    c.close();
  });

  test("RENAME INBOX moves its messages to a new mailbox and leaves INBOX empty (sessions see EXPUNGE)", async () => {
    const a = await fresh(t);
    await a.c.cmd("CREATE INBOX/Kept");
    await put(t, a.id, "INBOX", "one");
    await put(t, a.id, "INBOX", "two", ["\\Seen"]);
    const other = await a.login();
    expect((await other.cmd("SELECT INBOX")).untagged).toContain("* 2 EXISTS");
    expect((await a.c.cmd("SELECT INBOX")).untagged).toContain("* 2 EXISTS");
    const r = await a.c.cmd("RENAME inbox Old-Mail");
    expect(r.status).toBe("OK");
    // Our own view: the two messages are expunged before the tagged OK (RFC 9051 §6.3.6).
    expect(r.untagged).toEqual(["* 1 EXPUNGE", "* 1 EXPUNGE"]);
    expect((await a.c.cmd("STATUS INBOX (MESSAGES)")).untagged).toEqual(["* STATUS INBOX (MESSAGES 0)"]);
    expect((await a.c.cmd("STATUS Old-Mail (MESSAGES UNSEEN)")).untagged).toEqual(["* STATUS Old-Mail (MESSAGES 2 UNSEEN 1)"]);
    // Inferiors of INBOX stay where they are.
    expect(listNames(await a.c.cmd('LIST "" "*"'))).toContain("INBOX/Kept");
    expect((await other.cmd("NOOP")).untagged).toEqual(["* 1 EXPUNGE", "* 1 EXPUNGE"]);
    a.c.close();
    other.close();
  });

  test("renaming the selected mailbox keeps the session in it", async () => {
    const { c, id } = await fresh(t);
    await c.cmd("CREATE Box");
    await put(t, id, "Box", "x");
    expect((await c.cmd("SELECT Box")).status).toBe("OK");
    expect((await c.cmd("RENAME Box Crate")).status).toBe("OK");
    expect((await c.cmd("NOOP")).status).toBe("OK");
    expect((await c.cmd("STATUS Crate (MESSAGES)")).untagged).toEqual(["* STATUS Crate (MESSAGES 1)"]);
    c.close();
  });
});

describe("SUBSCRIBE / UNSUBSCRIBE", () => {
  test("subscribes names whether or not they exist; UNSUBSCRIBE is idempotent", async () => {
    const { c } = await fresh(t);
    await c.cmd("CREATE Lists");
    expect((await c.cmd("SUBSCRIBE Lists")).status).toBe("OK");
    expect((await c.cmd("SUBSCRIBE Lists")).status).toBe("OK");
    expect((await c.cmd("SUBSCRIBE Future/Plans")).status).toBe("OK");
    expect(lines(await c.cmd('LIST (SUBSCRIBED) "" "*"')).filter((l) => !DEFAULTS.some((d) => l.endsWith(` ${d}`)))).toEqual([
      '* LIST (\\NonExistent \\Subscribed) "/" Future/Plans',
      '* LIST (\\Subscribed \\HasNoChildren) "/" Lists',
    ]);
    expect((await c.cmd("UNSUBSCRIBE Lists")).status).toBe("OK");
    expect((await c.cmd("UNSUBSCRIBE Lists")).status).toBe("OK");
    expect((await c.cmd("UNSUBSCRIBE Sent")).status).toBe("OK");
    expect(listNames(await c.cmd('LIST (SUBSCRIBED) "" "*"'))).toEqual(["INBOX", "Archive", "Drafts", "Future/Plans", "Junk", "Trash"]);
    // INBOX in any case is the one INBOX.
    expect((await c.cmd("UNSUBSCRIBE inbox")).status).toBe("OK");
    expect(listNames(await c.cmd('LSUB "" "*"'))).toEqual(["Archive", "Drafts", "Future/Plans", "Junk", "Trash"]);
    c.close();
  });

  test("invalid names are CANNOT or BAD", async () => {
    const { c } = await fresh(t);
    expect((await c.cmd('SUBSCRIBE "../x"')).text).toStartWith("[CANNOT]");
    expect((await c.cmd('SUBSCRIBE "a*"')).text).toStartWith("[CANNOT]");
    expect((await c.cmd('UNSUBSCRIBE "a//b"')).text).toStartWith("[CANNOT]");
    expect((await c.cmd('SUBSCRIBE "&Jjo"')).status).toBe("BAD");
    c.close();
  });
});

describe("accounts are separate", () => {
  test("bob cannot list, inspect, rename, delete or subscribe into alice's mailboxes", async () => {
    const alice = await fresh(t);
    const bob = await fresh(t);
    await alice.c.cmd("CREATE Secret/Plans");
    await put(t, alice.id, "Secret/Plans", "confidential");
    const b = bob.c;
    expect(listNames(await b.cmd('LIST "" "*"'))).toEqual(DEFAULTS);
    expect(listNames(await b.cmd('LIST "" "*Secret*"'))).toEqual([]);
    expect((await b.cmd("STATUS Secret/Plans (MESSAGES)")).text).toStartWith("[NONEXISTENT]");
    expect((await b.cmd(`STATUS "../${alice.user}/Secret" (MESSAGES)`)).text).toStartWith("[NONEXISTENT]");
    expect((await b.cmd("DELETE Secret/Plans")).text).toStartWith("[NONEXISTENT]");
    expect((await b.cmd("RENAME Secret Mine")).text).toStartWith("[NONEXISTENT]");
    expect((await b.cmd("SELECT Secret/Plans")).status).toBe("NO");
    // Bob's own namesake is his alone.
    expect((await b.cmd("CREATE Secret")).status).toBe("OK");
    expect((await b.cmd("SUBSCRIBE Secret/Plans")).status).toBe("OK");
    expect(lines(await b.cmd('LIST (SUBSCRIBED) "" "Secret/*"'))).toEqual(['* LIST (\\NonExistent \\Subscribed) "/" Secret/Plans']);
    expect((await b.cmd("DELETE Secret")).status).toBe("OK");
    // Alice still has hers, with its message.
    expect((await alice.c.cmd("STATUS Secret/Plans (MESSAGES)")).untagged).toEqual(["* STATUS Secret/Plans (MESSAGES 1)"]);
    expect(listNames(await alice.c.cmd('LIST "" "Secret*"'))).toEqual(["Secret", "Secret/Plans"]);
    alice.c.close();
    b.close();
  });

  test("the shared test accounts alice and bob see only their own", async () => {
    const alice = await RawImap.login(t.port("imap"));
    const bob = await RawImap.login(t.port("imap"), "bob@example.test");
    expect((await alice.cmd("CREATE AliceOnly")).status).toBe("OK");
    expect(listNames(await bob.cmd('LIST "" "*"'))).not.toContain("AliceOnly");
    expect((await bob.cmd("STATUS AliceOnly (MESSAGES)")).text).toStartWith("[NONEXISTENT]");
    expect((await alice.cmd("DELETE AliceOnly")).status).toBe("OK");
    alice.close();
    bob.close();
  });
});
