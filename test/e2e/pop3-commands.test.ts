// POP3 on the real listener (RFC 1939, RFC 2449): every command and state as a transcript,
// pipelining, sizes as transmitted, UIDL stability across restarts, the maildrop lock
// ([IN-USE]), and UPDATE — atomic, durable before +OK, nothing on a dropped connection.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawPop3, deliver, sampleMessage } from "../protocol/pop3/raw-pop3.ts";
import { findAccount } from "../../src/store/accounts.ts";
import { findMailbox, listMessages } from "../../src/store/messages.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ auth: { allowPlaintextOnLoopback: true } });
});
afterAll(async () => {
  await t.stop();
});

async function inbox(address: string) {
  const acct = await findAccount(t.server.db, address);
  return (await findMailbox(t.server.db, acct!.id, "INBOX"))!;
}

async function stored(address: string) {
  return listMessages(t.server.db, (await inbox(address)).id);
}

/** Empties the INBOX of `address` through POP3 itself. */
async function drain(address: string): Promise<void> {
  const c = await RawPop3.login(t.port("pop3"), address);
  const n = Number((await c.cmd("STAT")).split(" ")[1]);
  for (let i = 1; i <= n; i++) await c.cmd(`DELE ${i}`);
  expect(await c.cmd("QUIT")).toStartWith("+OK");
  c.close();
}

describe("a full session", () => {
  test("greeting, CAPA, login, STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, QUIT", async () => {
    const db = t.server.db;
    const u1 = await deliver(db, "alice@example.test", sampleMessage("first"));
    // Stored with bare LF, a dot line and no final line end: sent as CRLF, stuffed.
    const u2 = await deliver(db, "alice@example.test", "Subject: second\n\n.hidden\nlast");
    const box = await inbox("alice@example.test");
    const c = await RawPop3.connect(t.port("pop3"));
    expect(await c.line()).toBe("+OK mx.example.test Hikyaku POP3 ready");
    const capa = await c.multiCmd("CAPA");
    expect(capa.lines).toEqual(["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER", "USER", "SASL PLAIN LOGIN SCRAM-SHA-256", "STLS", "IMPLEMENTATION Hikyaku"]);
    expect(await c.cmd("USER alice@example.test")).toBe("+OK Send PASS");
    const size1 = sampleMessage("first").length;
    const size2 = "Subject: second\r\n\r\n.hidden\r\nlast\r\n".length;
    expect(await c.cmd("PASS alice-pw")).toBe(`+OK Logged in; maildrop has 2 messages (${size1 + size2} octets)`);
    expect(await c.cmd("STAT")).toBe(`+OK 2 ${size1 + size2}`);
    expect((await c.multiCmd("LIST")).lines).toEqual([`1 ${size1}`, `2 ${size2}`]);
    expect(await c.cmd("LIST 2")).toBe(`+OK 2 ${size2}`);
    expect((await c.multiCmd("UIDL")).lines).toEqual([`1 ${box.uidvalidity}.${u1}`, `2 ${box.uidvalidity}.${u2}`]);
    expect(await c.cmd("UIDL 1")).toBe(`+OK 1 ${box.uidvalidity}.${u1}`);
    const r2 = await c.multiCmd("RETR 2");
    expect(r2.status).toBe(`+OK ${size2} octets`);
    expect(r2.raw).toBe("Subject: second\r\n\r\n..hidden\r\nlast\r\n");
    // The announced size is exactly what arrives once unstuffed (RFC 1939 §11).
    expect(r2.lines.join("\r\n").length + 2).toBe(size2);
    const top = await c.multiCmd("TOP 1 0");
    expect(top.status).toBe("+OK Top of message follows");
    expect(top.lines.at(-1)).toBe("");
    expect(top.lines).toContain("Subject: first");
    expect(top.lines).not.toContain("Body of first");
    expect((await c.multiCmd("TOP 1 1")).lines.at(-1)).toBe("Body of first");
    expect(await c.cmd("NOOP")).toBe("+OK");
    expect(await c.cmd("DELE 1")).toBe("+OK Message 1 deleted");
    expect(await c.cmd("STAT")).toBe(`+OK 1 ${size2}`);
    expect(await c.cmd("RETR 1")).toBe("-ERR Message 1 already deleted");
    expect(await c.cmd("RSET")).toBe(`+OK Maildrop has 2 messages (${size1 + size2} octets)`);
    expect(await c.cmd("DELE 2")).toBe("+OK Message 2 deleted");
    expect(await c.cmd("QUIT")).toBe("+OK mx.example.test Hikyaku POP3 signing off");
    await c.waitClosed();
    // Message 2 is gone; message 1 stays, and RETR of 2 marked nothing else.
    const left = await stored("alice@example.test");
    expect(left.map((m) => m.uid)).toEqual([u1]);
    expect(left[0].flags).not.toContain("\\Seen");
    await drain("alice@example.test");
  });

  test("PIPELINING: a batch of commands in one write is answered in order", async () => {
    await deliver(t.server.db, "bob@example.test", sampleMessage("p1"));
    await deliver(t.server.db, "bob@example.test", sampleMessage("p2"));
    const c = await RawPop3.connect(t.port("pop3"));
    await c.line();
    c.send("USER bob@example.test\r\nPASS bob-pw\r\nSTAT\r\nRETR 1\r\nLIST\r\nDELE 2\r\nNOOP\r\nQUIT\r\n");
    expect(await c.line()).toBe("+OK Send PASS");
    expect(await c.line()).toStartWith("+OK Logged in; maildrop has 2 messages");
    expect(await c.line()).toMatch(/^\+OK 2 \d+$/);
    const retr = await c.multi();
    expect(retr.lines).toContain("Subject: p1");
    expect((await c.multi()).lines).toHaveLength(2);
    expect(await c.line()).toBe("+OK Message 2 deleted");
    expect(await c.line()).toBe("+OK");
    expect(await c.line()).toStartWith("+OK ");
    await c.waitClosed();
    const left = await stored("bob@example.test");
    expect(left).toHaveLength(1);
    // RETR marks \Seen at QUIT, like an IMAP client that read it.
    expect(left[0].flags).toContain("\\Seen");
    await drain("bob@example.test");
  });

  test("the maildrop is fixed at login: a delivery during the session shows in the next one", async () => {
    await deliver(t.server.db, "alice@example.test", sampleMessage("before"));
    const c = await RawPop3.login(t.port("pop3"));
    await deliver(t.server.db, "alice@example.test", sampleMessage("during"));
    expect(await c.cmd("STAT")).toMatch(/^\+OK 1 /);
    await c.cmd("QUIT");
    const d = await RawPop3.login(t.port("pop3"));
    expect(await d.cmd("STAT")).toMatch(/^\+OK 2 /);
    await d.cmd("QUIT");
    await drain("alice@example.test");
  });
});

describe("UPDATE (RFC 1939 §6)", () => {
  test("a dropped connection deletes nothing", async () => {
    await deliver(t.server.db, "alice@example.test", sampleMessage("keep-1"));
    await deliver(t.server.db, "alice@example.test", sampleMessage("keep-2"));
    const c = await RawPop3.login(t.port("pop3"));
    expect(await c.cmd("DELE 1")).toStartWith("+OK");
    expect(await c.cmd("DELE 2")).toStartWith("+OK");
    c.close();
    // The lock is released when the server notices; a new session sees both messages.
    let r = "";
    for (let i = 0; i < 50; i++) {
      const d = await RawPop3.connect(t.port("pop3"));
      await d.line();
      await d.cmd("USER alice@example.test");
      r = await d.cmd("PASS alice-pw");
      if (r.startsWith("+OK")) {
        expect(await d.cmd("STAT")).toMatch(/^\+OK 2 /);
        await d.cmd("QUIT");
        break;
      }
      d.close();
      await Bun.sleep(20);
    }
    expect(r).toStartWith("+OK");
    expect(await stored("alice@example.test")).toHaveLength(2);
    await drain("alice@example.test");
  });

  test("QUIT removes every marked message in one write, done when +OK arrives", async () => {
    for (let i = 0; i < 5; i++) await deliver(t.server.db, "alice@example.test", sampleMessage(`bulk-${i}`));
    const before = t.server.db.writer.stats().commits;
    const c = await RawPop3.login(t.port("pop3"));
    for (const n of [1, 3, 5]) await c.cmd(`DELE ${n}`);
    await c.multiCmd("RETR 2");
    expect(await c.cmd("QUIT")).toStartWith("+OK");
    // Read right after +OK: the rows are already gone and \Seen is set.
    const left = await stored("alice@example.test");
    expect(left).toHaveLength(2);
    expect(left[0].flags).toEqual(["\\Seen"]);
    expect(left[1].flags).toEqual([]);
    expect(t.server.db.writer.stats().commits - before).toBe(1);
    const expunged = await t.server.db.client.execute({ sql: "SELECT count(*) AS n FROM expunged WHERE mailbox_id = ?", args: [(await inbox("alice@example.test")).id] });
    expect(Number(expunged.rows[0].n)).toBeGreaterThanOrEqual(3);
    await drain("alice@example.test");
  });

  test("QUIT with nothing marked writes nothing", async () => {
    await deliver(t.server.db, "alice@example.test", sampleMessage("untouched"));
    const before = t.server.db.writer.stats().commits;
    const c = await RawPop3.login(t.port("pop3"));
    await c.cmd("DELE 1");
    await c.cmd("RSET");
    await c.multiCmd("TOP 1 3");
    expect(await c.cmd("QUIT")).toStartWith("+OK");
    expect(t.server.db.writer.stats().commits).toBe(before);
    await drain("alice@example.test");
  });
});

describe("the maildrop lock (RFC 2449 §8.1.1 IN-USE)", () => {
  test("a second POP3 session for the same maildrop gets -ERR [IN-USE] until the first ends", async () => {
    const a = await RawPop3.login(t.port("pop3"));
    const b = await RawPop3.connect(t.port("pop3"));
    await b.line();
    await b.cmd("USER alice@example.test");
    expect(await b.cmd("PASS alice-pw")).toBe("-ERR [IN-USE] Maildrop is locked by another POP3 session");
    // Still in AUTHORIZATION: another account works on the same connection.
    await b.cmd("USER bob@example.test");
    expect(await b.cmd("PASS bob-pw")).toStartWith("+OK Logged in");
    await b.cmd("QUIT");
    // Case of the login name does not matter: the lock is per account.
    const c = await RawPop3.connect(t.port("pop3s"), { tls: true });
    await c.line();
    await c.cmd("USER ALICE@example.test");
    expect(await c.cmd("PASS alice-pw")).toStartWith("-ERR [IN-USE]");
    await a.cmd("QUIT");
    await c.cmd("USER alice@example.test");
    expect(await c.cmd("PASS alice-pw")).toStartWith("+OK Logged in");
    await c.cmd("QUIT");
  });
});

describe("UIDL identity", () => {
  test("UIDL is UIDVALIDITY.UID, the same across sessions and a server restart", async () => {
    const first = await startTestServer({ auth: { allowPlaintextOnLoopback: true } });
    const dir = first.dir;
    let before: string[];
    try {
      await deliver(first.server.db, "alice@example.test", sampleMessage("stable-1"));
      const uid = await deliver(first.server.db, "alice@example.test", sampleMessage("stable-2"));
      const acct = await findAccount(first.server.db, "alice@example.test");
      const box = await findMailbox(first.server.db, acct!.id, "INBOX");
      const c = await RawPop3.login(first.port("pop3"));
      before = (await c.multiCmd("UIDL")).lines;
      expect(before[1]).toBe(`2 ${box!.uidvalidity}.${uid}`);
      await c.cmd("DELE 1");
      await c.cmd("QUIT");
      await first.server.stop();
    } catch (e) {
      await first.stop();
      throw e;
    }
    const second = await startTestServer({ auth: { allowPlaintextOnLoopback: true } }, { keepDir: dir });
    try {
      const c = await RawPop3.login(second.port("pop3"));
      // Message 1 was deleted: the survivor is now number 1 but keeps its unique id.
      expect((await c.multiCmd("UIDL")).lines).toEqual([`1 ${before[1].split(" ")[1]}`]);
      await c.cmd("QUIT");
    } finally {
      await second.server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("EXPIRE 0 (RFC 2449 §6.7)", () => {
  test("is advertised, and retrieved messages are removed at QUIT", async () => {
    const s = await startTestServer({ auth: { allowPlaintextOnLoopback: true }, pop3: { expire: 0 } });
    try {
      await deliver(s.server.db, "alice@example.test", sampleMessage("read-me"));
      await deliver(s.server.db, "alice@example.test", sampleMessage("peek-only"));
      const c = await RawPop3.login(s.port("pop3"));
      expect((await c.multiCmd("CAPA")).lines).toContain("EXPIRE 0");
      await c.multiCmd("RETR 1");
      await c.multiCmd("TOP 2 0");
      expect(await c.cmd("QUIT")).toStartWith("+OK");
      const acct = await findAccount(s.server.db, "alice@example.test");
      const box = await findMailbox(s.server.db, acct!.id, "INBOX");
      expect((await listMessages(s.server.db, box!.id)).length).toBe(1);
    } finally {
      await s.stop();
    }
  });
});

describe("server stop", () => {
  test("a session waiting for a command is told and closed; its marks are not committed", async () => {
    const s = await startTestServer({ auth: { allowPlaintextOnLoopback: true } });
    await deliver(s.server.db, "alice@example.test", sampleMessage("survives-stop"));
    const c = await RawPop3.login(s.port("pop3"));
    await c.cmd("DELE 1");
    const acct = await findAccount(s.server.db, "alice@example.test");
    const box = await findMailbox(s.server.db, acct!.id, "INBOX");
    const rows = await listMessages(s.server.db, box!.id);
    const stopping = s.stop();
    expect(await c.line()).toBe("-ERR [SYS/TEMP] Server shutting down, try again later");
    await stopping;
    expect(rows).toHaveLength(1);
  });
});
