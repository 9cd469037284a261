// Return-Path (RFC 5321 §4.4) and Received trace headers on stored messages: the protocol
// keyword of RFC 3848 (SMTP/ESMTP/ESMTPS/ESMTPA/ESMTPSA/LMTP), TLS version and cipher, and the
// authenticated user on submission.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { addAccount, findAccount } from "../../src/store/accounts.ts";
import { findMailbox, getBody, listMessages } from "../../src/store/messages.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ auth: { allowPlaintextOnLoopback: true } });
});
afterAll(async () => {
  await t.stop();
});

const plain = (user: string, pw: string) => Buffer.from(`\0${user}\0${pw}`).toString("base64");

let n = 0;
async function fresh(): Promise<string> {
  const a = `rcvd${++n}@example.test`;
  await addAccount(t.server.db, a, "pw");
  return a;
}

async function only(address: string): Promise<string> {
  const acct = await findAccount(t.server.db, address);
  const box = await findMailbox(t.server.db, acct!.id, "INBOX");
  const msgs = await listMessages(t.server.db, box!.id);
  expect(msgs.length).toBe(1);
  return new TextDecoder().decode((await getBody(t.server.db, msgs[0].bodyHash))!.content);
}

type Setup = {
  role: "mx" | "submission" | "submissions" | "lmtp";
  starttls?: boolean;
  auth?: boolean;
  helo?: "HELO" | "EHLO" | "LHLO";
  from?: string;
};

/** Runs one transaction to a fresh local mailbox and returns the stored message. */
async function deliver(s: Setup): Promise<string> {
  const to = await fresh();
  const c = await RawSmtp.connect(t.port(s.role), { tls: s.role === "submissions" });
  expect((await c.reply()).code).toBe(220);
  const helo = s.helo ?? (s.role === "lmtp" ? "LHLO" : "EHLO");
  expect((await c.cmd(`${helo} client.test`)).code).toBe(250);
  if (s.starttls) {
    expect((await c.cmd("STARTTLS")).code).toBe(220);
    await c.startTls();
    expect((await c.cmd(`${helo} client.test`)).code).toBe(250);
  }
  if (s.auth) expect((await c.cmd(`AUTH PLAIN ${plain("alice@example.test", "alice-pw")}`)).code).toBe(235);
  expect((await c.cmd(`MAIL FROM:<${s.from ?? "alice@example.test"}>`)).code).toBe(250);
  expect((await c.cmd(`RCPT TO:<${to}>`)).code).toBe(250);
  expect((await c.cmd("DATA")).code).toBe(354);
  expect((await c.cmd("Subject: trace\r\n\r\nbody\r\n.")).code).toBe(250);
  c.close();
  return only(to);
}

/** The Received header (unfolded) that we prepended: the one right after Return-Path. */
function received(msg: string): string {
  const m = /^Return-Path: <[^>\r\n]*>\r\n(Received:[^\r\n]*(?:\r\n[ \t][^\r\n]*)*)\r\n/.exec(msg);
  expect(m).not.toBeNull();
  return m![1].replace(/\r\n[ \t]/g, " ");
}

describe("Return-Path", () => {
  test("is the envelope sender, first in the stored message", async () => {
    const msg = await deliver({ role: "mx", from: "bounce-123@other.test" });
    expect(msg).toStartWith("Return-Path: <bounce-123@other.test>\r\nReceived: ");
  });

  test("is <> for the null reverse-path", async () => {
    const msg = await deliver({ role: "mx", from: "" });
    expect(msg).toStartWith("Return-Path: <>\r\nReceived: ");
  });
});

describe("Received protocol keyword (RFC 3848)", () => {
  test("port 25, EHLO, cleartext: ESMTP, no TLS and no user", async () => {
    const r = received(await deliver({ role: "mx", from: "x@other.test" }));
    expect(r).toMatch(/^Received: from client\.test \(\[127\.0\.0\.1\]\) by mx\.example\.test \(Hikyaku\) with ESMTP id \S+ for <rcvd\d+@example\.test>; \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/);
    expect(r).not.toContain("using TLS");
    expect(r).not.toContain("authenticated");
  });

  test("port 25, HELO: SMTP", async () => {
    const r = received(await deliver({ role: "mx", helo: "HELO", from: "x@other.test" }));
    expect(r).toContain(" with SMTP id ");
  });

  test("port 25 after STARTTLS: ESMTPS with TLS version and cipher", async () => {
    const r = received(await deliver({ role: "mx", starttls: true, from: "x@other.test" }));
    expect(r).toContain(" with ESMTPS id ");
    expect(r).toMatch(/\(using TLSv1\.[23] with cipher [A-Z0-9_-]+ \(\d+\/\d+ bits\)\)/);
    expect(r).not.toContain("authenticated");
  });

  test("submission 587 with STARTTLS and AUTH: ESMTPSA, TLS details and the authenticated user", async () => {
    const r = received(await deliver({ role: "submission", starttls: true, auth: true }));
    expect(r).toContain(" with ESMTPSA id ");
    expect(r).toMatch(/\(using TLSv1\.[23] with cipher [A-Z0-9_-]+/);
    expect(r).toContain("(authenticated user alice@example.test)");
  });

  test("submissions 465 (implicit TLS) with AUTH: ESMTPSA", async () => {
    const r = received(await deliver({ role: "submissions", auth: true }));
    expect(r).toContain(" with ESMTPSA id ");
    expect(r).toMatch(/\(using TLSv1\.3 with cipher /);
    expect(r).toContain("(authenticated user alice@example.test)");
  });

  test("submission in cleartext with loopback AUTH: ESMTPA", async () => {
    const r = received(await deliver({ role: "submission", auth: true }));
    expect(r).toContain(" with ESMTPA id ");
    expect(r).not.toContain("using TLS");
    expect(r).toContain("(authenticated user alice@example.test)");
  });

  test("LMTP: LMTP", async () => {
    const r = received(await deliver({ role: "lmtp", from: "x@other.test" }));
    expect(r).toContain(" with LMTP id ");
  });

  test("LMTP after STARTTLS: LMTPS", async () => {
    const r = received(await deliver({ role: "lmtp", starttls: true, from: "x@other.test" }));
    expect(r).toContain(" with LMTPS id ");
  });
});
