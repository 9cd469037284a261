// LIST (RFC 9051 §6.3.9), LIST-EXTENDED (RFC 5258), CHILDREN (RFC 3348), SPECIAL-USE
// (RFC 6154) and LSUB (RFC 3501 §6.3.9) transcripts, for rev1 (modified UTF-7 names) and
// rev2 / UTF8=ACCEPT (UTF-8 names) sessions.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeMutf7 } from "../../src/protocol/imap/mutf7.ts";
import { fresh, lines, listNames, startImapServer, type TestServer } from "./imap-mailboxes-helpers.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startImapServer();
});
afterAll(async () => {
  await t.stop();
});

const DEFAULT_LINES = [
  '* LIST (\\HasNoChildren) "/" INBOX',
  '* LIST (\\HasNoChildren \\Archive) "/" Archive',
  '* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
  '* LIST (\\HasNoChildren \\Junk) "/" Junk',
  '* LIST (\\HasNoChildren \\Sent) "/" Sent',
  '* LIST (\\HasNoChildren \\Trash) "/" Trash',
];

describe("LIST basics", () => {
  test('LIST "" "" returns the delimiter and an empty root', async () => {
    const { c } = await fresh(t);
    expect(await c.cmd('LIST "" ""')).toMatchObject({ status: "OK", untagged: ['* LIST (\\Noselect) "/" ""'] });
    expect((await c.cmd('LIST "Work/" ""')).untagged).toEqual(['* LIST (\\Noselect) "/" ""']);
    c.close();
  });

  test("the default mailboxes, INBOX first, with children and special-use attributes (rev1 too, RFC 6154 §2)", async () => {
    const { c } = await fresh(t);
    expect(await c.cmd('LIST "" "*"')).toMatchObject({ status: "OK", untagged: DEFAULT_LINES });
    expect((await c.cmd('LIST "" "%"')).untagged).toEqual(DEFAULT_LINES);
    c.close();
  });

  test("* crosses the delimiter, % does not; references prefix the pattern", async () => {
    const { c } = await fresh(t);
    for (const n of ["Work/Projects/2024", "Work/Notes", "Workshop", "Home"]) await c.cmd(`CREATE ${n}`);
    expect(listNames(await c.cmd('LIST "" "Work*"'))).toEqual(["Work", "Work/Notes", "Work/Projects", "Work/Projects/2024", "Workshop"]);
    expect(listNames(await c.cmd('LIST "" "Work%"'))).toEqual(["Work", "Workshop"]);
    expect(listNames(await c.cmd('LIST "" "Work/%"'))).toEqual(["Work/Notes", "Work/Projects"]);
    expect(listNames(await c.cmd('LIST "Work/" "%"'))).toEqual(["Work/Notes", "Work/Projects"]);
    expect(listNames(await c.cmd('LIST "Work/" "*"'))).toEqual(["Work/Notes", "Work/Projects", "Work/Projects/2024"]);
    expect(listNames(await c.cmd('LIST "" "%/%"'))).toEqual(["Work/Notes", "Work/Projects"]);
    expect(listNames(await c.cmd('LIST "" "*/2024"'))).toEqual(["Work/Projects/2024"]);
    // INBOX is INBOX in any case, so its letters match either case.
    expect(listNames(await c.cmd('LIST "" "%o%"'))).toEqual(["INBOX", "Home", "Work", "Workshop"]);
    expect(listNames(await c.cmd('LIST "" Nothing'))).toEqual([]);
    expect(lines(await c.cmd('LIST "" "Work"'))).toEqual(['* LIST (\\HasChildren) "/" Work']);
    expect(lines(await c.cmd('LIST "" "Work/Projects/2024"'))).toEqual(['* LIST (\\HasNoChildren) "/" Work/Projects/2024']);
    // Matching is case-sensitive except for INBOX.
    expect(listNames(await c.cmd('LIST "" "work*"'))).toEqual([]);
    c.close();
  });

  test("INBOX matches case-insensitively and is always spelled INBOX", async () => {
    const { c } = await fresh(t);
    await c.cmd("CREATE INBOX/Sub");
    expect(listNames(await c.cmd('LIST "" inbox'))).toEqual(["INBOX"]);
    expect(listNames(await c.cmd('LIST "" "In%"'))).toEqual(["INBOX"]);
    expect(listNames(await c.cmd('LIST "" "iNbOx/*"'))).toEqual(["INBOX/Sub"]);
    expect(lines(await c.cmd('LIST "" INBOX'))).toEqual(['* LIST (\\HasChildren) "/" INBOX']);
    c.close();
  });

  test("names that need quoting are quoted; NIL and specials never go out as atoms", async () => {
    const { c } = await fresh(t);
    await c.cmd('CREATE "My Folder"');
    await c.cmd('CREATE "Quote\\"d"');
    await c.cmd('CREATE "Back\\\\slash"');
    await c.cmd("CREATE NIL");
    await c.cmd('CREATE "(paren)"');
    const got = lines(await c.cmd('LIST "" "*"')).filter((l) => !DEFAULT_LINES.includes(l));
    expect(got).toEqual([
      '* LIST (\\HasNoChildren) "/" "(paren)"',
      '* LIST (\\HasNoChildren) "/" "Back\\\\slash"',
      '* LIST (\\HasNoChildren) "/" "My Folder"',
      '* LIST (\\HasNoChildren) "/" "NIL"',
      '* LIST (\\HasNoChildren) "/" "Quote\\"d"',
    ]);
    c.close();
  });

  test("invalid modified UTF-7 in a pattern or reference is BAD; unknown options are BAD", async () => {
    const { c } = await fresh(t);
    expect((await c.cmd('LIST "" "&Jjo"')).status).toBe("BAD");
    expect((await c.cmd('LIST "&Jjo" "*"')).status).toBe("BAD");
    expect((await c.cmd('LIST (FOO) "" "*"')).status).toBe("BAD");
    expect((await c.cmd('LIST (RECURSIVEMATCH) "" "*"')).status).toBe("BAD");
    expect((await c.cmd('LIST "" "*" RETURN (BAR)')).status).toBe("BAD");
    c.close();
  });
});

describe("international names", () => {
  test("rev1 sessions see modified UTF-7; UTF8=ACCEPT and IMAP4rev2 sessions see UTF-8", async () => {
    const a = await fresh(t);
    expect((await a.c.cmd('CREATE "&ZeVnLIqe-/Entw&APw-rfe"')).status).toBe("OK");
    expect(lines(await a.c.cmd('LIST "" "&ZeVnLIqe-*"'))).toEqual([
      '* LIST (\\HasChildren) "/" &ZeVnLIqe-',
      '* LIST (\\HasNoChildren) "/" &ZeVnLIqe-/Entw&APw-rfe',
    ]);
    expect(listNames(await a.c.cmd('LIST "&ZeVnLIqe-/" "%"'))).toEqual(["&ZeVnLIqe-/Entw&APw-rfe"]);
    expect((await a.c.cmd('LIST "" "日本語"')).status).toBe("BAD");

    const u = await a.login();
    await u.cmd("ENABLE UTF8=ACCEPT");
    expect(lines(await u.cmd('LIST "" "日本語*"'))).toEqual([
      '* LIST (\\HasChildren) "/" "日本語"',
      '* LIST (\\HasNoChildren) "/" "日本語/Entwürfe"',
    ]);
    // With UTF8=ACCEPT, names are UTF-8: "&" is an ordinary character.
    expect((await u.cmd('CREATE "R&D"')).status).toBe("OK");
    expect(listNames(await a.c.cmd('LIST "" "R*"'))).toEqual(["R&-D"]);

    const r2 = await a.login();
    await r2.cmd("ENABLE IMAP4rev2");
    expect((await r2.cmd('CREATE "Ελληνικά"')).status).toBe("OK");
    expect(lines(await r2.cmd('LIST "" "Ελληνικά"'))).toEqual(['* LIST (\\HasNoChildren) "/" "Ελληνικά"']);
    const greek = encodeMutf7("Ελληνικά");
    expect(greek).toMatch(/^&[A-Za-z0-9+,]+-$/);
    expect(listNames(await a.c.cmd(`LIST "" "${greek}"`))).toEqual([greek]);
    for (const c of [a.c, u, r2]) c.close();
  });

  test("rev2 sessions get the same LIST answers, in UTF-8", async () => {
    const { c } = await fresh(t);
    await c.cmd("ENABLE IMAP4rev2");
    expect((await c.cmd('LIST "" "*"')).untagged).toEqual(DEFAULT_LINES);
    expect((await c.cmd('LIST "" ""')).untagged).toEqual(['* LIST (\\Noselect) "/" ""']);
    c.close();
  });
});

describe("LIST-EXTENDED", () => {
  test("(SUBSCRIBED) lists subscriptions, with \\NonExistent for missing ones", async () => {
    const { c } = await fresh(t);
    await c.cmd("CREATE Fruit/Banana");
    await c.cmd("CREATE Fruit/Apple");
    await c.cmd("SUBSCRIBE Fruit/Banana");
    await c.cmd("SUBSCRIBE Fruit/Peach");
    await c.cmd("UNSUBSCRIBE Archive");
    expect(lines(await c.cmd('LIST (SUBSCRIBED) "" "*"'))).toEqual([
      '* LIST (\\Subscribed \\HasNoChildren) "/" INBOX',
      '* LIST (\\Subscribed \\HasNoChildren \\Drafts) "/" Drafts',
      '* LIST (\\Subscribed \\HasNoChildren) "/" Fruit/Banana',
      '* LIST (\\NonExistent \\Subscribed) "/" Fruit/Peach',
      '* LIST (\\Subscribed \\HasNoChildren \\Junk) "/" Junk',
      '* LIST (\\Subscribed \\HasNoChildren \\Sent) "/" Sent',
      '* LIST (\\Subscribed \\HasNoChildren \\Trash) "/" Trash',
    ]);
    // RETURN (SUBSCRIBED): every mailbox, \Subscribed where it applies.
    expect(lines(await c.cmd('LIST "" "Fruit*" RETURN (SUBSCRIBED CHILDREN)'))).toEqual([
      '* LIST (\\HasChildren) "/" Fruit',
      '* LIST (\\HasNoChildren) "/" Fruit/Apple',
      '* LIST (\\Subscribed \\HasNoChildren) "/" Fruit/Banana',
    ]);
    // Without SUBSCRIBED anywhere, \Subscribed is not computed.
    expect(lines(await c.cmd('LIST () "" "Fruit/Banana" RETURN ()'))).toEqual(['* LIST (\\HasNoChildren) "/" Fruit/Banana']);
    c.close();
  });

  test("RECURSIVEMATCH reports parents of matches with CHILDINFO (RFC 5258 §3.5)", async () => {
    const { c } = await fresh(t);
    await c.cmd("CREATE Fruit/Banana");
    await c.cmd("CREATE Veg/Leek");
    await c.cmd("SUBSCRIBE Fruit/Banana");
    await c.cmd("SUBSCRIBE Veg");
    await c.cmd("SUBSCRIBE Veg/Leek");
    await c.cmd("SUBSCRIBE Tofu/Silken");
    for (const d of ["INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"]) await c.cmd(`UNSUBSCRIBE ${d}`);
    expect(lines(await c.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"'))).toEqual([
      '* LIST (\\HasChildren) "/" Fruit ("CHILDINFO" ("SUBSCRIBED"))',
      '* LIST (\\NonExistent) "/" Tofu ("CHILDINFO" ("SUBSCRIBED"))',
      '* LIST (\\Subscribed \\HasChildren) "/" Veg ("CHILDINFO" ("SUBSCRIBED"))',
    ]);
    // With "*" every subscribed descendant matches itself: no CHILDINFO is needed.
    expect(lines(await c.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" "*"'))).toEqual([
      '* LIST (\\Subscribed \\HasNoChildren) "/" Fruit/Banana',
      '* LIST (\\NonExistent \\Subscribed) "/" Tofu/Silken',
      '* LIST (\\Subscribed \\HasChildren) "/" Veg',
      '* LIST (\\Subscribed \\HasNoChildren) "/" Veg/Leek',
    ]);
    // Without RECURSIVEMATCH, "%" only returns subscribed names on that level.
    expect(listNames(await c.cmd('LIST (SUBSCRIBED) "" "%"'))).toEqual(["Veg"]);
    c.close();
  });

  test("(SPECIAL-USE) selects special-use mailboxes; RETURN (SPECIAL-USE) keeps all", async () => {
    const { c } = await fresh(t);
    await c.cmd("CREATE Work");
    await c.cmd("CREATE Work/Drafts (USE (\\Drafts))");
    expect(lines(await c.cmd('LIST (SPECIAL-USE) "" "*"'))).toEqual([
      '* LIST (\\HasNoChildren \\Archive) "/" Archive',
      '* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
      '* LIST (\\HasNoChildren \\Junk) "/" Junk',
      '* LIST (\\HasNoChildren \\Sent) "/" Sent',
      '* LIST (\\HasNoChildren \\Trash) "/" Trash',
      '* LIST (\\HasNoChildren \\Drafts) "/" Work/Drafts',
    ]);
    expect(lines(await c.cmd('LIST "" "%" RETURN (SPECIAL-USE)'))).toEqual([...DEFAULT_LINES, '* LIST (\\HasChildren) "/" Work']);
    expect(listNames(await c.cmd('LIST (SPECIAL-USE SUBSCRIBED) "" "*"'))).toEqual(["Archive", "Drafts", "Junk", "Sent", "Trash"]);
    c.close();
  });

  test("several patterns: each mailbox once, in listing order", async () => {
    const { c } = await fresh(t);
    await c.cmd("CREATE Work/A");
    expect(listNames(await c.cmd('LIST "" (INBOX "Work/%" "*A*" Sent)'))).toEqual(["INBOX", "Archive", "Sent", "Work/A"]);
    expect(listNames(await c.cmd('LIST "" ("Nothing")'))).toEqual([]);
    c.close();
  });
});

describe("LSUB", () => {
  test("subscribed names matching the pattern; unsubscribed parents under % are \\Noselect", async () => {
    const { c } = await fresh(t);
    await c.cmd("CREATE Lists/Bun");
    await c.cmd("SUBSCRIBE Lists/Bun");
    await c.cmd("SUBSCRIBE Gone");
    expect(lines(await c.cmd('LSUB "" "*"'))).toEqual([
      '* LSUB () "/" INBOX',
      '* LSUB () "/" Archive',
      '* LSUB () "/" Drafts',
      '* LSUB (\\Noselect) "/" Gone',
      '* LSUB () "/" Junk',
      '* LSUB () "/" Lists/Bun',
      '* LSUB () "/" Sent',
      '* LSUB () "/" Trash',
    ]);
    expect(lines(await c.cmd('LSUB "" "L%"'))).toEqual(['* LSUB (\\Noselect) "/" Lists']);
    expect(lines(await c.cmd('LSUB "Lists/" "%"'))).toEqual(['* LSUB () "/" Lists/Bun']);
    expect(lines(await c.cmd('LSUB "" "Lists*"'))).toEqual(['* LSUB () "/" Lists/Bun']);
    expect((await c.cmd('LSUB "" ""')).untagged).toEqual(['* LSUB (\\Noselect) "/" ""']);
    c.close();
  });

  test("names are encoded per session; rev2 still answers the deprecated command", async () => {
    const a = await fresh(t);
    await a.c.cmd('CREATE "&ZeVnLIqe-"');
    await a.c.cmd('SUBSCRIBE "&ZeVnLIqe-"');
    expect(lines(await a.c.cmd('LSUB "" "&ZeVnLIqe-"'))).toEqual(['* LSUB () "/" &ZeVnLIqe-']);
    const r2 = await a.login();
    await r2.cmd("ENABLE IMAP4rev2");
    expect(lines(await r2.cmd('LSUB "" "日本語"'))).toEqual(['* LSUB () "/" "日本語"']);
    expect((await r2.cmd('LSUB "" "&Jjo"')).status).toBe("OK");
    expect((await a.c.cmd('LSUB "" "&Jjo"')).status).toBe("BAD");
    a.c.close();
    r2.close();
  });
});
