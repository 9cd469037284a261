// POP3 and IMAP on the same account: a POP3 DELE + QUIT reaches an IMAP session that has
// INBOX selected as EXPUNGE at its next NOOP (and RETR as \Seen); the POP3 maildrop lock
// never blocks IMAP; UIDL is the IMAP identity, so switching protocols downloads nothing twice.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawImap } from "../helpers/imap-client.ts";
import { RawPop3, deliver, sampleMessage } from "../protocol/pop3/raw-pop3.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ auth: { allowPlaintextOnLoopback: true } });
});
afterAll(async () => {
  await t.stop();
});

test("POP3 deletes while IMAP has INBOX selected: the IMAP session sees * n EXPUNGE at NOOP", async () => {
  for (let i = 1; i <= 4; i++) await deliver(t.server.db, "alice@example.test", sampleMessage(`mixed-${i}`));
  const imap = await RawImap.login(t.port("imap"));
  const sel = await imap.cmd("SELECT INBOX");
  expect(sel.status).toBe("OK");
  expect(sel.untagged).toContain("* 4 EXISTS");
  const uidValidity = /UIDVALIDITY (\d+)/.exec(sel.untagged.join("\n"))![1];

  // The POP3 session opens the same maildrop while IMAP holds it selected: not blocked.
  const pop = await RawPop3.login(t.port("pop3"));
  const uidl = (await pop.multiCmd("UIDL")).lines;
  const fetched = await imap.cmd("UID FETCH 1:* (UID)");
  const imapUids = fetched.untagged.map((l) => /UID (\d+)/.exec(l)?.[1]).filter(Boolean);
  // UIDL = UIDVALIDITY.UID of the IMAP identity.
  expect(uidl).toEqual(imapUids.map((u, i) => `${i + 1} ${uidValidity}.${u}`));

  await pop.multiCmd("RETR 1");
  expect(await pop.cmd("DELE 2")).toStartWith("+OK");
  expect(await pop.cmd("DELE 4")).toStartWith("+OK");
  // Before QUIT nothing has changed for IMAP.
  expect((await imap.cmd("NOOP")).untagged).toEqual([]);
  expect(await pop.cmd("QUIT")).toStartWith("+OK");
  await pop.waitClosed();

  const noop = await imap.cmd("NOOP");
  expect(noop.status).toBe("OK");
  // Sequence numbers shift as each EXPUNGE is applied: message 4, then message 2 (or 2 then 3).
  const expunges = noop.untagged.filter((l) => / EXPUNGE$/.test(l));
  expect(expunges).toHaveLength(2);
  expect([["* 4 EXPUNGE", "* 2 EXPUNGE"], ["* 2 EXPUNGE", "* 3 EXPUNGE"]]).toContainEqual(expunges);
  // RETR marked message 1 \Seen, announced as a flag change.
  expect(noop.untagged.some((l) => /^\* 1 FETCH \(.*\\Seen/.test(l))).toBe(true);
  const after = await imap.cmd("UID FETCH 1:* (UID FLAGS)");
  expect(after.untagged).toHaveLength(2);
  await imap.cmd("LOGOUT");
});

test("IMAP keeps working while a POP3 session holds the maildrop lock", async () => {
  const pop = await RawPop3.login(t.port("pop3"), "bob@example.test");
  const imap = await RawImap.login(t.port("imap"), "bob@example.test");
  expect((await imap.cmd("SELECT INBOX")).status).toBe("OK");
  expect((await imap.cmd("NOOP")).status).toBe("OK");
  await imap.cmd("LOGOUT");
  // And a second POP3 session is the one that is refused.
  const other = await RawPop3.connect(t.port("pop3"));
  await other.line();
  await other.cmd("USER bob@example.test");
  expect(await other.cmd("PASS bob-pw")).toStartWith("-ERR [IN-USE]");
  other.close();
  await pop.cmd("QUIT");
});

test("a message IMAP expunged after POP3 listed it answers -ERR, and the session goes on", async () => {
  await deliver(t.server.db, "bob@example.test", sampleMessage("gone-soon"));
  await deliver(t.server.db, "bob@example.test", sampleMessage("stays"));
  const pop = await RawPop3.login(t.port("pop3"), "bob@example.test");
  const imap = await RawImap.login(t.port("imap"), "bob@example.test");
  await imap.cmd("SELECT INBOX");
  await imap.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)");
  const ex = await imap.cmd("EXPUNGE");
  expect(ex.status).toBe("OK");
  expect(await pop.cmd("RETR 1")).toBe("-ERR Message 1 was removed by another client");
  expect((await pop.multiCmd("RETR 2")).lines).toContain("Subject: stays");
  // Deleting what IMAP already removed is harmless at QUIT.
  await pop.cmd("DELE 1");
  await pop.cmd("DELE 2");
  expect(await pop.cmd("QUIT")).toStartWith("+OK");
  await imap.cmd("LOGOUT");
});

test("sequential RETRs are served right from read-ahead, and an IMAP expunge in between is honoured", async () => {
  const n = 40;
  for (let i = 1; i <= n; i++) await deliver(t.server.db, "bob@example.test", sampleMessage(`seq-${i}`, `Body ${i}\r\n${".".repeat(i % 3)}x\r\n`));
  const pop = await RawPop3.login(t.port("pop3"), "bob@example.test");
  const first = await pop.multiCmd("RETR 1");
  expect(first.lines).toContain("Subject: seq-1");
  // Message 5 was read along with message 1; IMAP now expunges it.
  const imap = await RawImap.login(t.port("imap"), "bob@example.test");
  await imap.cmd("SELECT INBOX");
  await imap.cmd("STORE 5 +FLAGS.SILENT (\\Deleted)");
  expect((await imap.cmd("EXPUNGE")).status).toBe("OK");
  for (let i = 2; i <= n; i++) {
    if (i === 5) {
      expect(await pop.cmd("RETR 5")).toBe("-ERR Message 5 was removed by another client");
      continue;
    }
    const r = await pop.multiCmd(`RETR ${i}`);
    expect(r.status).toMatch(/^\+OK \d+ octets$/);
    expect(r.lines).toContain(`Subject: seq-${i}`);
    expect(r.lines).toContain(`Body ${i}`);
    expect(r.lines).toContain(`${".".repeat(i % 3)}x`);
    expect(Number(r.status.split(" ")[1])).toBe(r.lines.join("\r\n").length + 2);
  }
  // TOP after the read-ahead still reads the right message.
  expect((await pop.multiCmd("TOP 7 1")).lines).toContain("Body 7");
  for (let i = 1; i <= n; i++) if (i !== 5) await pop.cmd(`DELE ${i}`);
  expect(await pop.cmd("QUIT")).toStartWith("+OK");
  await imap.cmd("LOGOUT");
});
