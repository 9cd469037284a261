// Smarthost delivery between two Hikyaku instances: A (127.0.0.2) relays through B's
// submission service (127.0.0.3) instead of MX delivery — STARTTLS on 587-style submission
// with AUTH PLAIN, implicit TLS on 465-style submissions, chosen per sender domain
// (delivery.relayByDomain, else delivery.relay). B's certificate (test CA, IP SAN) is verified.
// A wrong relay password is a configuration problem on our side, not the recipient's: the
// message is deferred (kept and retried until the lifetime ends), never bounced at once.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import nodemailer from "nodemailer";
import { listQueue, type QueueRecipient } from "../../src/store/queue.ts";
import { inboxBodies, waitFor } from "../helpers/debian.ts";
import { createInstance, type Instance } from "../helpers/instance.ts";
import { createTestCa, type TestCa } from "../helpers/test-ca.ts";

const A_IP = "127.0.0.2";
const B_IP = "127.0.0.3";
const WAIT_MS = 20_000;

describe("relay (smarthost) through another Hikyaku instance's submission ports", () => {
  let ca: TestCa;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    ca = await createTestCa();
    b = await createInstance({
      hostname: "smtp.other.test",
      host: B_IP,
      domains: ["other.test"],
      accounts: [
        ["bob@other.test", "bob-pw"],
        ["relay-starttls@other.test", "relay-pw-1"],
        ["relay-implicit@other.test", "relay-pw-2"],
      ],
      // A names the relay by IP: the certificate must carry it (RFC 6125 iPAddress SAN).
      cert: await ca.issue({ names: ["smtp.other.test", B_IP] }),
      // A smarthost accepts its customers' own sender domains.
      config: { auth: { enforceSender: false } },
    });
    const relay = (role: "submission" | "submissions", tls: "starttls" | "implicit", user: string, pass: string) => ({
      host: B_IP,
      port: b.port(role),
      tls,
      auth: { user, pass },
    });
    a = await createInstance({
      hostname: "mx.example.test",
      host: A_IP,
      domains: ["example.test", "implicit.test", "badpw.test"],
      accounts: [
        ["alice@example.test", "alice-pw"],
        ["ivy@implicit.test", "ivy-pw"],
        ["pat@badpw.test", "pat-pw"],
      ],
      config: {
        delivery: {
          enabled: true,
          pollMs: 50,
          sourceAddress: A_IP,
          tls: { ca: ca.caPem, mtaSts: false },
          timeouts: { connectMs: 2000, greetingMs: 2000, commandMs: 2000, dataDoneMs: 2000 },
          relay: relay("submission", "starttls", "relay-starttls@other.test", "relay-pw-1"),
          relayByDomain: {
            "implicit.test": relay("submissions", "implicit", "relay-implicit@other.test", "relay-pw-2"),
            "badpw.test": relay("submission", "starttls", "relay-starttls@other.test", "wrong-password"),
          },
        },
      },
    });
  });

  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
  });

  async function submit(from: string, pass: string, subject: string): Promise<void> {
    const t = nodemailer.createTransport({ host: A_IP, port: a.port("submission"), secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: from, pass } });
    try {
      await t.sendMail({ from, to: "bob@other.test", subject, text: "via the smarthost\n" });
    } finally {
      t.close();
    }
  }

  async function row(mailFrom: string): Promise<QueueRecipient | undefined> {
    return (await listQueue(a.server.db)).find((e) => e.mailFrom === mailFrom)?.recipients[0];
  }
  const bobHas = async (subject: string) => (await inboxBodies(b.server.db, "bob@other.test")).filter((m) => m.includes(`Subject: ${subject}`));

  test("delivery.relay: STARTTLS + AUTH PLAIN on B's submission port; stored for bob on B", async () => {
    await submit("alice@example.test", "alice-pw", "relay starttls");
    const r = await waitFor(() => row("alice@example.test"), (x) => x?.state === "delivered", WAIT_MS);
    expect(r?.state).toBe("delivered");
    expect(r?.remoteMta).toBe(`${B_IP}[${B_IP}]`);
    const got = await bobHas("relay starttls");
    expect(got.length).toBe(1);
    // B saw TLS and AUTH (RFC 3848 ESMTPSA) from A's source address, as the global relay's user.
    expect(got[0]).toMatch(/Received: from mx\.example\.test \(\[127\.0\.0\.2\]\)\r\n\tby smtp\.other\.test \(Hikyaku\) with ESMTPSA /);
    expect(got[0]).toContain("(authenticated user relay-starttls@other.test)");
  });

  test("relayByDomain by sender domain: implicit TLS on B's submissions port with its own account", async () => {
    await submit("ivy@implicit.test", "ivy-pw", "relay implicit");
    const r = await waitFor(() => row("ivy@implicit.test"), (x) => x?.state === "delivered", WAIT_MS);
    expect(r?.state).toBe("delivered");
    const got = await bobHas("relay implicit");
    expect(got.length).toBe(1);
    expect(got[0]).toContain("(authenticated user relay-implicit@other.test)");
  });

  test("wrong relay password (535): deferred with the relay's reply, no DSN, nothing stored on B", async () => {
    const before = (await inboxBodies(a.server.db, "pat@badpw.test")).length;
    await submit("pat@badpw.test", "pat-pw", "relay bad password");
    const r = await waitFor(() => row("pat@badpw.test"), (x) => x?.state === "deferred", WAIT_MS);
    expect(r?.state).toBe("deferred");
    expect(r?.lastReply).toMatch(/^535 /);
    expect(r?.lastStatus).toMatch(/^4\./);
    expect(r!.nextAttemptAt).toBeGreaterThan(Date.now());
    expect((await inboxBodies(a.server.db, "pat@badpw.test")).length).toBe(before);
    expect((await bobHas("relay bad password")).length).toBe(0);
  });
});
