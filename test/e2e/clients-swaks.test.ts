// Real client: swaks (Debian) against MX (25), submission (587 STARTTLS + AUTH PLAIN),
// submissions (465 implicit TLS), PIPELINING and LMTP; exit codes and stored messages.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { inboxBodies, requireTools, run } from "../helpers/debian.ts";

const tools = requireTools("swaks client tests", ["swaks"], "apt-get install swaks libnet-ssleay-perl; bash .ci/run installs them");

let t: TestServer;
beforeAll(async () => {
  if (!tools.skip) t = await startTestServer();
});
afterAll(async () => {
  await t?.stop();
});

// swaks exit codes (its manual): 0 ok, 24 no recipients accepted, 28 AUTH failed.
async function swaks(args: string[]) {
  const r = await run(tools.bin("swaks"), ["--server", "127.0.0.1", "--helo", "client.test", "--timeout", "10", ...args], { timeoutMs: 15_000 });
  if (r.timedOut) throw new Error(`swaks timed out:\n${r.stdout}\n${r.stderr}`);
  return { ...r, out: r.stdout + r.stderr };
}

function expectOk(r: { code: number | null; out: string }) {
  if (r.code !== 0) throw new Error(`swaks exited ${r.code}:\n${r.out}`);
}

async function stored(address: string, subject: string): Promise<string | undefined> {
  return (await inboxBodies(t.server.db, address)).find((b) => b.includes(`Subject: ${subject}\r\n`));
}

describe.skipIf(tools.skip)("swaks", () => {
  test("port 25, no AUTH, to a local recipient", async () => {
    const r = await swaks(["--port", String(t.port("mx")), "--from", "x@other.test", "--to", "alice@example.test", "--header", "Subject: sw-25", "--body", "over MX"]);
    expectOk(r);
    expect(r.out).toMatch(/<- {2}250 2\.0\.0 Ok: queued as \S+/);
    const m = await stored("alice@example.test", "sw-25");
    expect(m).toBeDefined();
    expect(m!.startsWith("Return-Path: <x@other.test>\r\nReceived: from client.test ([127.0.0.1])")).toBe(true);
    expect(m).toContain("over MX");
  });

  test("port 25 refuses an unknown local user: exit 24, nothing stored", async () => {
    const r = await swaks(["--port", String(t.port("mx")), "--from", "x@other.test", "--to", "nobody@example.test", "--header", "Subject: sw-nobody"]);
    expect(r.code).toBe(24);
    expect(r.out).toContain("550 5.1.1");
  });

  test("587: --tls --auth PLAIN", async () => {
    const r = await swaks([
      "--port", String(t.port("submission")),
      "--tls",
      "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "alice-pw",
      "--from", "alice@example.test", "--to", "bob@example.test",
      "--header", "Subject: sw-587", "--body", "over submission",
    ]);
    expectOk(r);
    expect(r.out).toMatch(/=== TLS started with cipher TLSv1\.[23]/);
    expect(r.out).toContain("235 2.7.0");
    const m = await stored("bob@example.test", "sw-587");
    expect(m).toBeDefined();
    expect(m).toContain("ESMTPSA");
  });

  test("587: without --tls AUTH is not offered (DESIGN §5): exit 28, nothing stored", async () => {
    const r = await swaks([
      "--port", String(t.port("submission")),
      "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "alice-pw",
      "--from", "alice@example.test", "--to", "bob@example.test", "--header", "Subject: sw-cleartext",
    ]);
    expect(r.code).toBe(28);
    expect(r.out).not.toContain("AUTH PLAIN");
    expect(await stored("bob@example.test", "sw-cleartext")).toBeUndefined();
  });

  test("587: a wrong password exits 28, nothing stored", async () => {
    const r = await swaks([
      "--port", String(t.port("submission")),
      "--tls",
      "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "wrong",
      "--from", "alice@example.test", "--to", "bob@example.test", "--header", "Subject: sw-badauth",
    ]);
    expect(r.code).toBe(28);
    expect(r.out).toContain("535 5.7.8");
    expect(await stored("bob@example.test", "sw-badauth")).toBeUndefined();
  });

  test("465: --tls-on-connect with AUTH LOGIN", async () => {
    const r = await swaks([
      "--port", String(t.port("submissions")),
      "--tls-on-connect",
      "--auth", "LOGIN", "--auth-user", "alice@example.test", "--auth-password", "alice-pw",
      "--from", "alice@example.test", "--to", "bob@example.test",
      "--header", "Subject: sw-465", "--body", "over implicit TLS",
    ]);
    expectOk(r);
    expect(r.out).toMatch(/=== TLS started with cipher TLSv1\.[23]/);
    const m = await stored("bob@example.test", "sw-465");
    expect(m).toBeDefined();
    expect(m).toContain("over implicit TLS");
  });

  test("--pipeline: MAIL, RCPT x2 and DATA in one write", async () => {
    const r = await swaks([
      "--port", String(t.port("mx")),
      "--pipeline",
      "--from", "x@other.test", "--to", "alice@example.test,bob@example.test",
      "--header", "Subject: sw-pipe", "--body", "pipelined",
    ]);
    expectOk(r);
    // swaks sends the whole group before reading any reply.
    expect(r.out).toMatch(/ -> MAIL FROM:<x@other\.test>\s+ -> RCPT TO:<alice@example\.test>\s+ -> RCPT TO:<bob@example\.test>\s+ -> DATA\s+<- {2}250/);
    expect(await stored("alice@example.test", "sw-pipe")).toBeDefined();
    expect(await stored("bob@example.test", "sw-pipe")).toBeDefined();
  });

  test("LMTP: one reply per recipient after DATA", async () => {
    const r = await swaks([
      "--port", String(t.port("lmtp")),
      "--protocol", "LMTP",
      "--from", "x@other.test", "--to", "alice@example.test,bob@example.test",
      "--header", "Subject: sw-lmtp", "--body", "over LMTP",
    ]);
    expectOk(r);
    expect(r.out).toContain(" -> LHLO client.test");
    expect(r.out).toMatch(/<- {2}250 2\.0\.0 <alice@example\.test> [^\n]*\n<- {2}250 2\.0\.0 <bob@example\.test> /);
    expect(await stored("alice@example.test", "sw-lmtp")).toBeDefined();
    expect(await stored("bob@example.test", "sw-lmtp")).toBeDefined();
  });
});
