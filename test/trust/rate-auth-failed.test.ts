// The auth.failed notification, as the sans-I/O SMTP and POP3 sessions emit it: once per
// failed credential check, before the back-off and the failure reply, naming the username.

import { expect, test } from "bun:test";
import * as smtp from "../../src/protocol/smtp/session.ts";
import * as pop3 from "../../src/protocol/pop3/session.ts";
import type { SessionInfo } from "../../src/events/catalog.ts";
import { verdict } from "../../src/events/verdict.ts";

const session = (protocol: "smtp" | "pop3"): SessionInfo => ({
  id: "s1", protocol, role: protocol === "smtp" ? "submission" : "pop3", remoteAddress: "192.0.2.1", remotePort: 40000,
  localAddress: "127.0.0.1", localPort: 587, tls: null, helo: null, authUser: null,
});
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** Feeds inputs, answering every policy with continue and every provider with a failed check. */
function run<A extends { type: string }>(feed: (input: never) => { actions: A[] }, inputs: object[]): A[] {
  const all: A[] = [];
  const queue = [...inputs];
  for (let i = 0; i < 100 && queue.length > 0; i++) {
    const { actions } = feed(queue.shift() as never);
    for (const a of actions) {
      all.push(a);
      if (a.type === "policy") queue.unshift({ type: "verdict", verdict: verdict.continue() });
      if (a.type === "provide") queue.unshift({ type: "provided", result: { ok: false } });
    }
  }
  return all;
}

const shape = (actions: { type: string; text?: string }[]) =>
  actions.filter((a) => a.type === "notify" || a.type === "delay" || a.type === "reply").map((a) => (a.type === "reply" ? a.text!.slice(0, 4) : a.type));

test("SMTP AUTH: a failed password emits auth.failed before the delay and the 535", () => {
  const s = smtp.createSession(session("smtp"), {
    hostname: "mx.example.test", role: "submission", startTlsAvailable: false, plaintextAuthAllowed: true, maxMessageBytes: 1000,
    maxRecipients: 100, maxHeaderBytes: 1000, maxErrors: 10, maxAuthFailures: 3, authFailureDelayMs: 1000, enforceSender: true,
  });
  const deps = { newId: () => "TX1" };
  const actions = run((i) => smtp.step(s, i, deps), [{ type: "connect" }, { type: "line", line: "EHLO client.test" }, { type: "line", line: `AUTH PLAIN ${b64("\0alice@example.test\0wrong")}` }]);
  expect(shape(actions).slice(-3)).toEqual(["notify", "delay", "535 "]);
  expect(actions.find((a) => a.type === "notify")).toMatchObject({ event: "auth.failed", payload: { mechanism: "PLAIN", username: "alice@example.test", session: { remoteAddress: "192.0.2.1" } } });
  // A cancelled exchange is no failed credential check.
  const cancelled = run((i) => smtp.step(s, i, deps), [{ type: "line", line: "AUTH LOGIN" }, { type: "line", line: "*" }]);
  expect(cancelled.some((a) => a.type === "notify")).toBe(false);
});

test("POP3 USER/PASS and AUTH PLAIN: each failure emits auth.failed with the username", () => {
  const s = pop3.createSession(session("pop3"), {
    hostname: "mx.example.test", startTlsAvailable: false, plaintextAuthAllowed: true, maxErrors: 10, maxAuthFailures: 3, authFailureDelayMs: 1000, expire: "NEVER",
  });
  const actions = run((i) => pop3.step(s, i), [
    { type: "connect" },
    { type: "line", line: "USER bob@example.test" },
    { type: "line", line: "PASS wrong" },
    { type: "line", line: `AUTH PLAIN ${b64("\0carol@example.test\0wrong")}` },
  ]);
  const notes = actions.filter((a) => a.type === "notify");
  expect(notes.map((a) => (a as unknown as { payload: { mechanism: string; username: string } }).payload)).toMatchObject([
    { mechanism: "USER", username: "bob@example.test" },
    { mechanism: "PLAIN", username: "carol@example.test" },
  ]);
  expect(shape(actions).slice(-3)).toEqual(["notify", "delay", "-ERR"]);
});
