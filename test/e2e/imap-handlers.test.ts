// Handlers on the IMAP side (DESIGN §3): a failing credential provider is a temporary
// failure (NO [UNAVAILABLE]), never a crash or a login; an imap.login policy can refuse.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawImap } from "../helpers/imap-client.ts";
import { defineHandler } from "../../src/events/handler.ts";
import { verdict } from "../../src/events/verdict.ts";

let broken: TestServer;
let policy: TestServer;
beforeAll(async () => {
  broken = await startTestServer({
    auth: { allowPlaintextOnLoopback: true },
    handlers: [defineHandler({ event: "auth.verify", name: "broken-verify", handle: () => { throw new Error("directory down"); } })],
  });
  policy = await startTestServer({
    auth: { allowPlaintextOnLoopback: true },
    handlers: [
      defineHandler({
        event: "imap.login",
        name: "no-bob",
        handle: ({ username }) => (username.startsWith("bob@") ? verdict.reject(550, "5.7.1", "bob may not read mail here") : verdict.continue()),
      }),
    ],
  });
});
afterAll(async () => {
  await broken.stop();
  await policy.stop();
});

test("a throwing auth.verify provider gives NO [UNAVAILABLE] and the session stays usable", async () => {
  const c = await RawImap.connect(broken.port("imap"));
  await c.line();
  const r = await c.cmd("LOGIN alice@example.test alice-pw");
  expect(r.status).toBe("NO");
  expect(r.text).toStartWith("[UNAVAILABLE]");
  expect((await c.cmd("NOOP")).status).toBe("OK");
  c.close();
});

test("an imap.login policy refuses one user and lets another in", async () => {
  const bob = await RawImap.connect(policy.port("imap"));
  await bob.line();
  const r = await bob.cmd("LOGIN bob@example.test bob-pw");
  expect(r.status).toBe("NO");
  expect(r.text).toBe("[AUTHORIZATIONFAILED] bob may not read mail here");
  expect((await bob.cmd("SELECT INBOX")).status).toBe("BAD");
  bob.close();
  const alice = await RawImap.login(policy.port("imap"));
  expect((await alice.cmd("SELECT INBOX")).status).toBe("OK");
  alice.close();
});
