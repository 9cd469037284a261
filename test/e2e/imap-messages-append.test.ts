// APPEND transcripts (RFC 9051 §6.3.12, RFC 3501 §6.3.11): synchronizing and LITERAL+
// literals, flags and date-time, APPENDUID (RFC 4315), TRYCREATE, TOOBIG (RFC 7889),
// literal8 (RFC 3516 §4.4), UTF8 (RFC 6855 §4), EXISTS for the selected mailbox, durability.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestServer } from "../helpers/server.ts";
import { findAccount } from "../../src/store/accounts.ts";
import { findMailbox, listMessages, getBody } from "../../src/store/messages.ts";
import { append, cmdLit, message, open, RawImap, startImapServer } from "./imap-messages-helpers.ts";

let t: TestServer;
let small: TestServer;
beforeAll(async () => {
  t = await startImapServer();
  small = await startImapServer({ appendLimit: 2048 });
});
afterAll(async () => {
  await t.stop();
  await small.stop();
});

describe("APPEND", () => {
  test("synchronizing literal: continuation, then OK [APPENDUID uidvalidity uid]", async () => {
    const c = await RawImap.login(t.port("imap"));
    const msg = message({ subject: "sync literal" });
    const n = new TextEncoder().encode(msg).length;
    c.send(`A1 APPEND Drafts (\\Draft $Label1) "05-Mar-2021 13:14:15 +0100" {${n}}\r\n`);
    expect(await c.line()).toMatch(/^\+ /);
    c.send(msg + "\r\n");
    const r = await c.until("A1");
    expect(r.status).toBe("OK");
    expect(r.text).toMatch(/^\[APPENDUID \d+ 1\] /);
    expect(r.untagged).toEqual([]);

    const uid2 = await append(c, message({ subject: "second" }), { mailbox: "Drafts" });
    expect(uid2).toBe(2);

    const ex = await c.cmd("EXAMINE Drafts");
    expect(ex.untagged).toContain("* 2 EXISTS");
    const f = await c.cmd("FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)");
    expect(f.untagged[0]).toBe(`* 1 FETCH (FLAGS (\\Draft $Label1) INTERNALDATE "05-Mar-2021 12:14:15 +0000" RFC822.SIZE ${n})`);
    c.close();
  });

  test("APPENDUID carries the mailbox's UIDVALIDITY", async () => {
    const c = await RawImap.login(t.port("imap"));
    const sel = await c.cmd("EXAMINE Sent");
    const validity = /UIDVALIDITY (\d+)/.exec(sel.untagged.join("\n"))![1];
    const r = await cmdLit(c, ["APPEND Sent ", { lit: message() }]);
    expect(r.text).toMatch(new RegExp(`^\\[APPENDUID ${validity} \\d+\\]`));
    c.close();
  });

  test("missing mailbox: NO [TRYCREATE]; after CREATE the APPEND gets UID 1", async () => {
    const c = await RawImap.login(t.port("imap"));
    const r = await cmdLit(c, ["APPEND Nowhere ", { lit: message({ subject: "lost" }) }]);
    expect(r.status).toBe("NO");
    expect(r.text).toMatch(/^\[TRYCREATE\]/);
    // After CREATE the same APPEND works (the point of TRYCREATE).
    expect((await c.cmd("CREATE Nowhere")).status).toBe("OK");
    const ok = await cmdLit(c, ["APPEND Nowhere ", { lit: message({ subject: "found" }) }]);
    expect(ok.text).toMatch(/^\[APPENDUID \d+ 1\]/);
    c.close();
  });

  test("\\Recent and unknown system flags cannot be stored; keywords can", async () => {
    const c = await RawImap.login(t.port("imap"));
    const r1 = await cmdLit(c, ["APPEND INBOX (\\Recent) ", { lit: message() }]);
    expect(r1.status).toBe("BAD");
    const r2 = await cmdLit(c, ["APPEND INBOX (\\Bogus) ", { lit: message() }]);
    expect(r2.status).toBe("BAD");
    const r3 = await cmdLit(c, ["APPEND INBOX (\\seen $Work) ", { lit: message() }]);
    expect(r3.status).toBe("OK");
    c.close();
  });

  test("durable before the tagged OK: another connection and the store see it at once", async () => {
    const c = await RawImap.login(t.port("imap"), "bob@example.test");
    const body = message({ subject: "durable", body: "Persist me.\r\n" });
    const uid = await append(c, body, { flags: "\\Flagged" });
    const acct = await findAccount(t.server.db, "bob@example.test");
    const mbx = await findMailbox(t.server.db, acct!.id, "INBOX");
    const rows = await listMessages(t.server.db, mbx!.id);
    const row = rows.find((m) => m.uid === uid)!;
    expect(row).toBeDefined();
    const stored = await getBody(t.server.db, row.bodyHash);
    expect(new TextDecoder().decode(stored!.content)).toBe(body);

    const d = await RawImap.login(t.port("imap"), "bob@example.test");
    await d.cmd("EXAMINE INBOX");
    const f = await d.cmd(`UID FETCH ${uid} (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])`);
    expect(f.raw).toContain("Subject: durable");
    expect(f.raw).toContain("FLAGS (\\Flagged)");
    c.close();
    d.close();
  });

  test("rev1: appending to the selected mailbox announces EXISTS and RECENT before the OK; others see EXISTS at NOOP", async () => {
    const { c: a, sel } = await open(t, "Archive");
    const { c: b } = await open(t, "Archive");
    const before = Number(/\* (\d+) EXISTS/.exec(sel.raw)![1]);
    const r = await cmdLit(a, ["APPEND Archive ", { lit: message({ subject: "to selected" }) }]);
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual([`* ${before + 1} EXISTS`, "* 1 RECENT"]);
    const n = await b.cmd("NOOP");
    expect(n.untagged).toContain(`* ${before + 1} EXISTS`);
    a.close();
    b.close();
  });

  test("rev2: EXISTS without RECENT", async () => {
    const { c } = await open(t, "Trash", { enable: "IMAP4rev2" });
    const r = await cmdLit(c, ["APPEND Trash ", { lit: message() }]);
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual(["* 1 EXISTS"]);
    expect(r.text).toMatch(/^\[APPENDUID \d+ 1\]/);
    c.close();
  });

  test("literal8 (BINARY append, RFC 3516 §4.4) keeps NUL and 8-bit octets", async () => {
    const c = await RawImap.login(t.port("imap"));
    const head = new TextEncoder().encode("From: a@example.test\r\nSubject: bin\r\nContent-Transfer-Encoding: binary\r\n\r\n");
    const raw = new Uint8Array([...head, 0x00, 0xff, 0x01, 0x0d, 0x0a]);
    const r = await cmdLit(c, ["APPEND Archive ", { lit: raw, binary: true }]);
    expect(r.status).toBe("OK");
    const uid = Number(/APPENDUID \d+ (\d+)/.exec(r.text)![1]);
    await c.cmd("EXAMINE Archive");
    const f = await c.cmd(`UID FETCH ${uid} (RFC822.SIZE)`);
    expect(f.untagged[0]).toContain(`RFC822.SIZE ${raw.length}`);
    // A NUL in a plain literal is refused (only literal8 may carry it).
    const bad = await cmdLit(c, ["APPEND Archive ", { lit: raw }]);
    expect(bad.status).toBe("BAD");
    c.close();
  });

  test("UTF8 (~{n}) append data (RFC 6855 §4)", async () => {
    const c = await RawImap.login(t.port("imap"));
    expect((await c.cmd("ENABLE UTF8=ACCEPT")).status).toBe("OK");
    const msg = message({ subject: "Grüße aus Köln", from: "Jörg <jörg@example.test>" });
    const r = await cmdLit(c, ["APPEND Archive UTF8 (", { lit: msg, binary: true }, ")"]);
    expect(r.status).toBe("OK");
    c.close();
  });

  test("bad date-time is BAD; missing literal is BAD", async () => {
    const c = await RawImap.login(t.port("imap"));
    expect((await cmdLit(c, ['APPEND INBOX "31-Feb-2021 00:00:00 +0000" ', { lit: message() }])).status).toBe("BAD");
    expect((await c.cmd("APPEND INBOX")).status).toBe("BAD");
    c.close();
  });

  test("APPEND is refused before login", async () => {
    const c = await RawImap.connect(t.port("imap"));
    await c.line();
    const r = await c.cmd('APPEND INBOX "x"');
    expect(r.status).toBe("BAD");
    c.close();
  });
});

describe("APPENDLIMIT / TOOBIG", () => {
  test("APPENDLIMIT is advertised after login", async () => {
    const c = await RawImap.login(small.port("imap"));
    const r = await c.cmd("CAPABILITY");
    expect(r.untagged[0]).toContain("APPENDLIMIT=2048");
    c.close();
  });

  test("a synchronizing literal over the limit: NO [TOOBIG] without continuation; the session goes on", async () => {
    const c = await RawImap.login(small.port("imap"));
    c.send("A1 APPEND INBOX {5000}\r\n");
    const l = await c.line();
    expect(l).toMatch(/^A1 NO \[TOOBIG\]/);
    const ok = await cmdLit(c, ["APPEND INBOX ", { lit: message() }]);
    expect(ok.status).toBe("OK");
    expect((await c.cmd("NOOP")).status).toBe("OK");
    c.close();
  });

  test("exactly at the limit is accepted", async () => {
    const c = await RawImap.login(small.port("imap"));
    const base = message({ body: "" });
    const msg = base + "x".repeat(2048 - base.length);
    expect(msg.length).toBe(2048);
    const r = await cmdLit(c, ["APPEND INBOX ", { lit: msg }]);
    expect(r.status).toBe("OK");
    c.close();
  });

  test("a LITERAL+ over the limit cannot be refused in time: BAD [TOOBIG] and the connection closes (RFC 7888 §4)", async () => {
    const c = await RawImap.login(small.port("imap"));
    const r = await cmdLit(c, ["APPEND INBOX ", { lit: "x".repeat(3000) }]).catch((e) => e as Error);
    if (!(r instanceof Error)) {
      expect(r.status).toBe("BAD");
      expect(r.text).toContain("[TOOBIG]");
    }
    expect(await c.waitClosed()).toBe(true);
  });

  test("nothing over the limit was stored", async () => {
    const acct = await findAccount(small.server.db, "alice@example.test");
    const mbx = await findMailbox(small.server.db, acct!.id, "INBOX");
    const rows = await listMessages(small.server.db, mbx!.id);
    expect(rows.every((m) => m.size <= 2048)).toBe(true);
  });
});
