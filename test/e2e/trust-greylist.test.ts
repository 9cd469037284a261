// Greylisting on a real server: 451 on first sight and on an early retry, pass after the delay
// (an injected clock, no waiting), whitelists, trace notes, state kept across a restart, and
// the DATA stage with the DMARC whitelist. Clients connect from 127.0.0.x source addresses.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { greylist } from "../../handlers/greylist.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { ConfigInput } from "../../src/config/schema.ts";
import { defineHandler, type AnyHandler } from "../../src/events/handler.ts";
import { verdict } from "../../src/events/verdict.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { addDomain } from "../../src/store/domains.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { NO_DNS_CHECKS, startTestServer, type TestServer } from "../helpers/server.ts";

const T0 = 1_700_000_000_000;
const clock = { now: T0 };
/** The handlers see the test's clock through ctx.now, as every handler should read time. */
const withClock = (hs: AnyHandler[]): AnyHandler[] =>
  hs.map((h) => ({ ...h, handle: (p: never, ctx: { now: () => number }) => h.handle(p, { ...ctx, now: () => clock.now } as never) }) as AnyHandler);

/** RawSmtp from another loopback source address, greeted and past EHLO. */
async function connectFrom(ip: string, port: number): Promise<RawSmtp> {
  const c = await RawSmtp.connect(port, { localAddress: ip });
  expect((await c.reply()).code).toBe(220);
  expect((await c.cmd("EHLO client.test")).code).toBe(250);
  return c;
}

/** MAIL + RCPT from `ip`; returns the RCPT reply line (and sends the message when accepted). */
async function attempt(srv: TestServer, ip: string, from: string, to: string): Promise<string> {
  const c = await connectFrom(ip, srv.port("mx"));
  try {
    expect((await c.cmd(`MAIL FROM:<${from}>`)).code).toBe(250);
    const r = await c.cmd(`RCPT TO:<${to}>`);
    if (r.code === 250) {
      expect((await c.cmd("DATA")).code).toBe(354);
      expect((await c.cmd("Subject: hi\r\n\r\nhello\r\n.")).code).toBe(250);
    }
    await c.cmd("QUIT");
    return r.lines.at(-1)!;
  } finally {
    c.close();
  }
}

function serverConfig(trust: Record<string, unknown>): ConfigInput {
  return { trust: { trustedNetworks: ["127.0.0.9/32"], ...NO_DNS_CHECKS, greylist: false, ...trust }, auth: { allowPlaintextOnLoopback: true } };
}

/** The test's greylist handlers replace any built-in instance of the same name. */
function handlersWith(options: unknown, input: ConfigInput, extra: AnyHandler[] = []) {
  const mine = withClock(greylist(options, parseConfig(input)));
  return (defaults: AnyHandler[]) => [...defaults.filter((d) => !mine.some((m) => m.name === d.name)), ...extra, ...mine];
}

async function greylistTraces(srv: TestServer): Promise<string[]> {
  await srv.server.flushTraces();
  const rs = await srv.server.db.client.execute("SELECT verdict, text FROM traces WHERE handler = 'greylist' ORDER BY id");
  return rs.rows.map((r) => `${r["verdict"]}: ${r["text"]}`);
}

describe("at RCPT (default stage)", () => {
  const opts = { networks: ["127.0.7.0/24"], senderDomains: ["friendly.test"] };
  const input = serverConfig({ greylist: opts });
  let srv: TestServer;
  beforeAll(async () => {
    clock.now = T0;
    srv = await startTestServer({ ...input, handlers: handlersWith(opts, input) });
  });
  afterAll(async () => srv?.stop());

  test("first attempt 451 4.7.1, early retry 451, retry after the delay passes, then known", async () => {
    expect(await attempt(srv, "127.0.0.2", "x@sender.test", "alice@example.test")).toBe("451 4.7.1 Greylisted, please try again in 300 seconds");
    clock.now += 60_000;
    expect(await attempt(srv, "127.0.0.2", "x@sender.test", "alice@example.test")).toBe("451 4.7.1 Greylisted, please try again in 240 seconds");
    clock.now += 240_000;
    expect(await attempt(srv, "127.0.0.2", "x@sender.test", "alice@example.test")).toStartWith("250 ");
    clock.now += 86_400_000;
    // Another host of the same /24 is the same client network.
    expect(await attempt(srv, "127.0.0.3", "X@Sender.test", "alice@example.test")).toStartWith("250 ");
    expect(await greylistTraces(srv)).toEqual([
      "tempfail: Greylisted, please try again in 300 seconds",
      "tempfail: Greylisted, please try again in 240 seconds",
      "continue: greylist: retry passed",
      "continue: greylist: known triplet",
    ]);
  });

  test("another recipient, sender or network is a new triplet", async () => {
    expect(await attempt(srv, "127.0.0.2", "x@sender.test", "bob@example.test")).toStartWith("451 4.7.1");
    expect(await attempt(srv, "127.0.0.2", "y@sender.test", "alice@example.test")).toStartWith("451 4.7.1");
    expect(await attempt(srv, "127.0.1.2", "x@sender.test", "alice@example.test")).toStartWith("451 4.7.1");
  });

  test("whitelists: trusted network, configured network, sender domain", async () => {
    expect(await attempt(srv, "127.0.0.9", "new1@sender.test", "alice@example.test")).toStartWith("250 ");
    expect(await attempt(srv, "127.0.7.77", "new2@sender.test", "alice@example.test")).toStartWith("250 ");
    expect(await attempt(srv, "127.0.0.2", "news@lists.friendly.test", "alice@example.test")).toStartWith("250 ");
    const notes = await greylistTraces(srv);
    expect(notes).toContain("continue: greylist: skipped (trusted network)");
    expect(notes).toContain("continue: greylist: skipped (whitelisted network)");
    expect(notes).toContain("continue: greylist: skipped (whitelisted sender domain)");
  });

  test("authenticated sessions are never greylisted", async () => {
    const c = await connectFrom("127.0.0.2", srv.port("submission"));
    expect((await c.cmd(`AUTH PLAIN ${btoa("\0alice@example.test\0alice-pw")}`)).code).toBe(235);
    expect((await c.cmd("MAIL FROM:<alice@example.test>")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<bob@example.test>")).code).toBe(250);
    await c.cmd("QUIT");
    c.close();
    expect(await greylistTraces(srv)).toContain("continue: greylist: skipped (authenticated)");
  });
});

describe("state survives a restart", () => {
  const input = serverConfig({ greylist: {} });
  const dir = mkdtempSync(join(tmpdir(), "hikyaku-greylist-"));
  let srv: TestServer | undefined;
  const start = () => startTestServer({ ...input, handlers: handlersWith({}, input) }, { keepDir: dir });
  afterAll(async () => {
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a passed triplet still passes and a pending one keeps its first-seen time", async () => {
    clock.now = T0;
    srv = await start();
    await addDomain(srv.server.db, "example.test");
    await addAccount(srv.server.db, "alice@example.test", "alice-pw");
    expect(await attempt(srv, "127.0.0.2", "a@sender.test", "alice@example.test")).toStartWith("451 ");
    clock.now += 300_000;
    expect(await attempt(srv, "127.0.0.2", "a@sender.test", "alice@example.test")).toStartWith("250 ");
    expect(await attempt(srv, "127.0.0.2", "b@sender.test", "alice@example.test")).toStartWith("451 ");
    await srv.stop();

    srv = await start();
    clock.now += 300_000;
    expect(await attempt(srv, "127.0.0.2", "a@sender.test", "alice@example.test")).toStartWith("250 ");
    expect(await attempt(srv, "127.0.0.2", "b@sender.test", "alice@example.test")).toStartWith("250 ");
  });
});

describe("at end of DATA", () => {
  // Stands in for the message-auth handler: it records a DMARC result for later handlers.
  const fakeAuth = defineHandler({
    event: "smtp.data",
    name: "fake-message-auth",
    handle({ message }, ctx) {
      const pass = new TextDecoder().decode(message).includes("X-Test-Dmarc: pass");
      ctx.results.set("message-auth", { dmarc: { result: pass ? "pass" : "fail" } });
      return verdict.continue();
    },
  });
  const opts = { stage: "data" };
  const input = serverConfig({ greylist: opts });
  let srv: TestServer;
  beforeAll(async () => {
    clock.now = T0;
    srv = await startTestServer({ ...input, handlers: handlersWith(opts, input, [fakeAuth]) });
  });
  afterAll(async () => srv?.stop());

  async function send(rcpts: string[], header: string, from = "d@sender.test"): Promise<string> {
    const c = await connectFrom("127.0.0.2", srv.port("mx"));
    expect((await c.cmd(`MAIL FROM:<${from}>`)).code).toBe(250);
    for (const r of rcpts) expect((await c.cmd(`RCPT TO:<${r}>`)).code).toBe(250);
    expect((await c.cmd("DATA")).code).toBe(354);
    const r = await c.cmd(`${header}Subject: hi\r\n\r\nhello\r\n.`);
    await c.cmd("QUIT");
    c.close();
    return r.lines.at(-1)!;
  }

  test("RCPT is accepted; the message gets 451 at end of DATA; after the delay it passes", async () => {
    expect(await send(["alice@example.test"], "")).toBe("451 4.7.1 Greylisted, please try again in 300 seconds");
    clock.now += 300_000;
    expect(await send(["alice@example.test"], "")).toStartWith("250 ");
  });

  test("with several recipients one new triplet greylists the message", async () => {
    expect(await send(["alice@example.test", "bob@example.test"], "")).toStartWith("451 4.7.1");
    clock.now += 300_000;
    expect(await send(["alice@example.test", "bob@example.test"], "")).toStartWith("250 ");
  });

  test("a DMARC pass is let through on the first attempt", async () => {
    expect(await send(["alice@example.test"], "X-Test-Dmarc: pass\r\n", "first@dmarc.test")).toStartWith("250 ");
    expect(await send(["alice@example.test"], "X-Test-Dmarc: none\r\n", "second@dmarc.test")).toStartWith("451 4.7.1");
    expect(await greylistTraces(srv)).toContain("continue: greylist: skipped (dmarc=pass)");
  });
});
