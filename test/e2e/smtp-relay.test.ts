// No open relay (DESIGN §5): an unauthenticated client on port 25 (or LMTP) can only reach
// our own mailboxes, whatever routing syntax it hides in the address; nothing is queued.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { listQueue } from "../../src/store/queue.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ auth: { allowPlaintextOnLoopback: true } });
});
afterAll(async () => {
  await t.stop();
});

const RELAY_TRICKS = [
  "x@foreign.test",
  "X@FOREIGN.TEST",
  "a%foreign.test@example.test",
  "foreign.test!a@example.test",
  "@relay.test:x@foreign.test",
  "@example.test:x@foreign.test",
  '"x@foreign.test"@example.test',
  '"x%foreign.test"@example.test',
  "x@[127.0.0.1]",
  "x@[IPv6:::1]",
  "postmaster@foreign.test",
];

async function open(role: "mx" | "lmtp" | "submission"): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port(role));
  expect((await c.reply()).code).toBe(220);
  expect((await c.cmd(role === "lmtp" ? "LHLO client.test" : "EHLO client.test")).code).toBe(250);
  return c;
}

function expectRefused(lines: string[]): void {
  expect(lines).toHaveLength(1);
  // Relay denied (554 5.7.1) or, for a local domain, no such user (550 5.1.1).
  expect(lines[0]).toMatch(/^(554 5\.7\.1|550 5\.1\.1) /);
}

describe.each(["mx", "lmtp"] as const)("unauthenticated %s", (role) => {
  test.each(RELAY_TRICKS)("RCPT TO:<%s> is refused", async (address) => {
    const c = await open(role);
    expect((await c.cmd("MAIL FROM:<spammer@foreign.test>")).code).toBe(250);
    expectRefused((await c.cmd(`RCPT TO:<${address}>`)).lines);
    // With no accepted recipient DATA is refused too.
    expect((await c.cmd("DATA")).code).toBeGreaterThanOrEqual(500);
    c.close();
    expect(await listQueue(t.server.db)).toEqual([]);
  });

  test("all tricks in one transaction next to a local recipient: only the local copy, nothing queued", async () => {
    const c = await open(role);
    expect((await c.cmd("MAIL FROM:<spammer@foreign.test>")).code).toBe(250);
    for (const address of RELAY_TRICKS) expectRefused((await c.cmd(`RCPT TO:<${address}>`)).lines);
    expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
    expect((await c.cmd("DATA")).code).toBe(354);
    c.send("Subject: relay attempt\r\n\r\nhi\r\n.\r\n");
    // One accepted recipient: one reply, for LMTP too (RFC 2033 §4.2).
    expect((await c.reply()).code).toBe(250);
    c.close();
    expect(await listQueue(t.server.db)).toEqual([]);
  });
});

test("submission without AUTH cannot even start a transaction (530 5.7.0)", async () => {
  const c = await open("submission");
  expect((await c.cmd("MAIL FROM:<alice@example.test>")).lines[0]).toStartWith("530 5.7.0 ");
  expect((await c.cmd("RCPT TO:<x@foreign.test>")).lines[0]).toStartWith("503 5.5.1 ");
  c.close();
  expect(await listQueue(t.server.db)).toEqual([]);
});

test("control: an authenticated submission to a foreign address is queued", async () => {
  // Shows that listQueue would see a relayed message, so the empty queue above means something.
  const own = await startTestServer({ auth: { allowPlaintextOnLoopback: true } });
  const c = await RawSmtp.connect(own.port("submission"));
  expect((await c.reply()).code).toBe(220);
  expect((await c.cmd("EHLO client.test")).code).toBe(250);
  expect((await c.cmd(`AUTH PLAIN ${Buffer.from("\0alice@example.test\0alice-pw").toString("base64")}`)).code).toBe(235);
  expect((await c.cmd("MAIL FROM:<alice@example.test>")).code).toBe(250);
  expect((await c.cmd("RCPT TO:<x@foreign.test>")).code).toBe(250);
  expect((await c.cmd("DATA")).code).toBe(354);
  expect((await c.cmd("Subject: relayed\r\n\r\nhi\r\n.")).code).toBe(250);
  c.close();
  const q = await listQueue(own.server.db);
  await own.stop();
  expect(q.length).toBe(1);
  expect(q[0].recipients.map((r) => r.address)).toEqual(["x@foreign.test"]);
  expect(q[0].authUser).toBe("alice@example.test");
});

describe("bare Postmaster (RFC 5321 §4.5.1)", () => {
  test("RCPT TO:<Postmaster> is accepted even though the host name is not a mail domain", async () => {
    const { addAlias } = await import("../../src/store/aliases.ts");
    await addAlias(t.server.db, "postmaster@example.test", "alice@example.test");
    const c = await open("mx");
    expect((await c.cmd("MAIL FROM:<someone@foreign.test>")).code).toBe(250);
    // The harness's host name is mx.example.test, which is not a hosted domain.
    expect((await c.cmd("RCPT TO:<Postmaster>")).code).toBe(250);
    expect((await c.cmd("DATA")).code).toBe(354);
    expect((await c.cmd("Subject: to postmaster\r\n\r\nhi\r\n.")).code).toBe(250);
    c.close();
    expect(await listQueue(t.server.db)).toEqual([]);
  });
});
