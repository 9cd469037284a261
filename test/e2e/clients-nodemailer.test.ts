// Real client: nodemailer (npm) over submission (587 STARTTLS + AUTH), submissions (465
// implicit TLS + AUTH) and MX (25, no AUTH), each message checked in the recipient's INBOX.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import nodemailer from "nodemailer";
import type { SendMailOptions, TransportOptions } from "nodemailer";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { inboxBodies } from "../helpers/debian.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.stop();
});

// Bounded everywhere: connection, greeting and socket timeouts well under the test timeout.
const timeouts = { connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 10_000 };

async function send(transportOpts: Record<string, unknown>, mail: SendMailOptions) {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    name: "client.test",
    tls: { rejectUnauthorized: false },
    ...timeouts,
    ...transportOpts,
  } as TransportOptions);
  try {
    return await transport.sendMail(mail);
  } finally {
    transport.close();
  }
}

describe("nodemailer", () => {
  test("587: STARTTLS is required and used, AUTH PLAIN, lands in bob's INBOX", async () => {
    const info = await send(
      { port: t.port("submission"), secure: false, requireTLS: true, auth: { user: "alice@example.test", pass: "alice-pw" }, authMethod: "PLAIN" },
      { from: "alice@example.test", to: "bob@example.test", subject: "nm-587", text: "over submission\n" },
    );
    expect(info.accepted).toEqual(["bob@example.test"]);
    expect(info.rejected).toEqual([]);
    expect(info.response).toStartWith("250");
    const bodies = await inboxBodies(t.server.db, "bob@example.test");
    const m = bodies.find((b) => b.includes("Subject: nm-587"));
    expect(m).toBeDefined();
    expect(m).toContain("over submission");
    // The Received trace records the TLS upgrade and the authenticated submission.
    expect(m).toMatch(/Received: from client\.test[^]*ESMTPSA/);
  });

  test("587: AUTH LOGIN with a wrong password is refused with 535", async () => {
    const err = await send(
      { port: t.port("submission"), secure: false, requireTLS: true, auth: { user: "alice@example.test", pass: "wrong" }, authMethod: "LOGIN" },
      { from: "alice@example.test", to: "bob@example.test", subject: "nm-bad", text: "x\n" },
    ).then(
      () => null,
      (e: Error & { responseCode?: number; code?: string }) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.code).toBe("EAUTH");
    expect(err!.responseCode).toBe(535);
  });

  test("465: implicit TLS + AUTH LOGIN, lands in bob's INBOX", async () => {
    const info = await send(
      { port: t.port("submissions"), secure: true, auth: { user: "alice@example.test", pass: "alice-pw" }, authMethod: "LOGIN" },
      { from: "alice@example.test", to: "bob@example.test", subject: "nm-465", text: "over implicit TLS\n" },
    );
    expect(info.accepted).toEqual(["bob@example.test"]);
    const bodies = await inboxBodies(t.server.db, "bob@example.test");
    const m = bodies.find((b) => b.includes("Subject: nm-465"));
    expect(m).toBeDefined();
    expect(m).toContain("over implicit TLS");
  });

  test("25: no AUTH, opportunistic STARTTLS, to a local recipient", async () => {
    const info = await send(
      { port: t.port("mx"), secure: false },
      {
        envelope: { from: "someone@other.test", to: ["alice@example.test"] },
        from: "Someone <someone@other.test>",
        to: "alice@example.test",
        subject: "nm-25",
        text: "Grüße über Port 25\n",
      },
    );
    expect(info.accepted).toEqual(["alice@example.test"]);
    const bodies = await inboxBodies(t.server.db, "alice@example.test");
    const m = bodies.find((b) => b.includes("Subject: nm-25"));
    expect(m).toBeDefined();
    expect(m!.startsWith("Return-Path: <someone@other.test>\r\n")).toBe(true);
  });

  test("25: plain SMTP without STARTTLS (ignoreTLS) also delivers", async () => {
    const info = await send(
      { port: t.port("mx"), secure: false, ignoreTLS: true },
      { envelope: { from: "someone@other.test", to: ["alice@example.test"] }, from: "someone@other.test", to: "alice@example.test", subject: "nm-25-plain", text: "plain\n" },
    );
    expect(info.accepted).toEqual(["alice@example.test"]);
    const bodies = await inboxBodies(t.server.db, "alice@example.test");
    expect(bodies.some((b) => b.includes("Subject: nm-25-plain"))).toBe(true);
  });
});
