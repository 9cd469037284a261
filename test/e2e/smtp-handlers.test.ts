// User handlers on the real listener (DESIGN §3): a policy handler's verdict becomes the reply,
// a throw or a timeout becomes 451 4.3.0 (never a crash, never an accept), the session survives,
// and the trace table records which handler decided what.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { defineHandler } from "../../src/events/handler.ts";
import { verdict } from "../../src/events/verdict.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount, findAccount } from "../../src/store/accounts.ts";
import { findMailbox, getBody, listMessages } from "../../src/store/messages.ts";
import { findTraces } from "../../src/store/traces.ts";

// Transaction ids seen by the handlers, so the test can look their traces up.
const seen = new Map<string, string>();

const rejectSpam = defineHandler({
  event: "smtp.rcpt",
  name: "reject-spam-example",
  handle(e) {
    if (e.recipient.address.toLowerCase().endsWith("@spam.example")) {
      seen.set(e.recipient.address, e.transactionId);
      return verdict.reject(550, "5.7.1", "Recipient domain refused by policy");
    }
    return verdict.continue();
  },
});

const throwing = defineHandler({
  event: "smtp.rcpt",
  name: "throwing-handler",
  handle(e) {
    if (e.recipient.address === "alice+boom@example.test") {
      seen.set(e.recipient.address, e.transactionId);
      throw new Error("handler bug");
    }
    return verdict.continue();
  },
});

const hanging = defineHandler({
  event: "smtp.rcpt",
  name: "hanging-handler",
  timeoutMs: 100,
  handle(e) {
    if (e.recipient.address === "alice+hang@example.test") {
      seen.set(e.recipient.address, e.transactionId);
      return new Promise(() => {});
    }
    return verdict.continue();
  },
});

const dataPolicy = defineHandler({
  event: "smtp.data",
  name: "subject-policy",
  handle(e) {
    const text = new TextDecoder().decode(e.message);
    if (text.includes("Subject: reject-me")) return verdict.reject(554, "5.7.1", "Content refused");
    if (text.includes("Subject: later")) return verdict.tempfail(451, "4.7.1", "Try again later");
    if (text.includes("Subject: junk")) return verdict.quarantine("looks like junk");
    if (text.includes("Subject: drop")) return verdict.discard("dropped silently");
    if (text.includes("Subject: bye")) return verdict.disconnect(421, "4.7.0", "Go away");
    return verdict.continue();
  },
});

const heloPolicy = defineHandler({
  event: "smtp.helo",
  name: "helo-policy",
  handle: (e) => (e.domain === "bad.helo" ? verdict.reject(550, "5.7.1", "Bad HELO") : verdict.continue()),
});

const mailPolicy = defineHandler({
  event: "smtp.mail",
  name: "mail-policy",
  handle: (e) => (e.from === "blocked@other.test" ? verdict.tempfail(450, "4.7.1", "Sender greylisted") : verdict.continue()),
});

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ handlers: [rejectSpam, throwing, hanging, dataPolicy, heloPolicy, mailPolicy] });
  await addDomain(t.server.db, "spam.example");
  await addAccount(t.server.db, "victim@spam.example", "pw");
});
afterAll(async () => {
  await t.stop();
});

async function open(): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port("mx"));
  expect((await c.reply()).code).toBe(220);
  expect((await c.cmd("EHLO client.test")).code).toBe(250);
  return c;
}

async function mailbox(address: string, name = "INBOX"): Promise<string[]> {
  const acct = await findAccount(t.server.db, address);
  const box = await findMailbox(t.server.db, acct!.id, name);
  const out: string[] = [];
  for (const m of await listMessages(t.server.db, box!.id)) {
    out.push(new TextDecoder().decode((await getBody(t.server.db, m.bodyHash))!.content));
  }
  return out;
}

describe("policy verdicts become replies", () => {
  test("smtp.rcpt handler rejects *@spam.example with 550 5.7.1; other recipients pass", async () => {
    const c = await open();
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<victim@spam.example>")).lines).toEqual(["550 5.7.1 Recipient domain refused by policy"]);
    expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
    c.close();
  });

  test("the trace records the handler name and its verdict for the rejected transaction", async () => {
    const c = await open();
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<Victim@spam.example>")).code).toBe(550);
    // RSET ends the transaction: its trace is handed to the writer before the reply.
    expect((await c.cmd("RSET")).code).toBe(250);
    await t.server.flushTraces();
    const txId = seen.get("Victim@spam.example")!;
    expect(txId).toBeDefined();
    const traces = await findTraces(t.server.db, txId);
    const decision = traces.find((r) => r.handler === "reject-spam-example");
    expect(decision).toBeDefined();
    expect(decision!.event).toBe("smtp.rcpt");
    expect(decision!.verdict).toBe("reject");
    expect(decision!.code).toBe(550);
    expect(decision!.enhanced).toBe("5.7.1");
    expect(decision!.text).toBe("Recipient domain refused by policy");
    c.close();
  });

  test("smtp.helo and smtp.mail verdicts", async () => {
    const c = await RawSmtp.connect(t.port("mx"));
    await c.reply();
    expect((await c.cmd("EHLO bad.helo")).lines).toEqual(["550 5.7.1 Bad HELO"]);
    // Not greeted after a refused EHLO.
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(503);
    expect((await c.cmd("EHLO good.helo")).code).toBe(250);
    expect((await c.cmd("MAIL FROM:<blocked@other.test>")).lines).toEqual(["450 4.7.1 Sender greylisted"]);
    // The refused MAIL left no transaction behind.
    expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(503);
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
    c.close();
  });

  test("smtp.data verdicts: reject, tempfail, quarantine (Junk), discard, disconnect", async () => {
    const to = "datapolicy@example.test";
    await addAccount(t.server.db, to, "pw");
    const c = await open();
    const send = async (subject: string) => {
      expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
      expect((await c.cmd(`RCPT TO:<${to}>`)).code).toBe(250);
      expect((await c.cmd("DATA")).code).toBe(354);
      return c.cmd(`Subject: ${subject}\r\n\r\nbody\r\n.`);
    };
    expect((await send("reject-me")).lines).toEqual(["554 5.7.1 Content refused"]);
    expect((await send("later")).lines).toEqual(["451 4.7.1 Try again later"]);
    expect((await send("junk")).code).toBe(250);
    expect((await send("drop")).code).toBe(250);
    expect((await send("fine")).code).toBe(250);
    expect((await send("bye")).lines).toEqual(["421 4.7.0 Go away"]);
    expect(await c.waitClosed()).toBe(true);
    const inbox = await mailbox(to);
    expect(inbox.length).toBe(1);
    expect(inbox[0]).toContain("Subject: fine");
    const junk = await mailbox(to, "Junk");
    expect(junk.length).toBe(1);
    expect(junk[0]).toContain("Subject: junk");
  });
});

describe("failing handlers are temporary failures, and the session survives", () => {
  test("a handler that throws: 451 4.3.0, traced as error", async () => {
    const c = await open();
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<alice+boom@example.test>")).lines).toEqual(["451 4.3.0 Temporary local problem, please try again later"]);
    // Survives: later commands work, including a good recipient and delivery.
    expect((await c.cmd("NOOP")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
    expect((await c.cmd("RSET")).code).toBe(250);
    await t.server.flushTraces();
    const traces = await findTraces(t.server.db, seen.get("alice+boom@example.test")!);
    const entry = traces.find((r) => r.handler === "throwing-handler");
    expect(entry?.verdict).toBe("error");
    expect(entry?.code).toBe(451);
    c.close();
  });

  test("a handler that hangs past its timeoutMs: 451 4.3.0, traced as timeout", async () => {
    const c = await open();
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
    const t0 = performance.now();
    expect((await c.cmd("RCPT TO:<alice+hang@example.test>")).lines).toEqual(["451 4.3.0 Temporary local problem, please try again later"]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
    expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
    expect((await c.cmd("DATA")).code).toBe(354);
    expect((await c.cmd("Subject: after hang\r\n\r\nbody\r\n.")).code).toBe(250);
    expect((await c.cmd("QUIT")).code).toBe(221);
    await t.server.flushTraces();
    const traces = await findTraces(t.server.db, seen.get("alice+hang@example.test")!);
    const entry = traces.find((r) => r.handler === "hanging-handler");
    expect(entry?.verdict).toBe("timeout");
    expect(entry?.code).toBe(451);
  });

  test("a throwing provider (address.resolve replaced by a user handler) is 451 4.3.0 too", async () => {
    const broken = defineHandler({
      event: "address.resolve",
      name: "broken-resolver",
      handle() {
        throw new Error("directory down");
      },
    });
    const s = await startTestServer({ handlers: [broken] });
    try {
      const c = await RawSmtp.connect(s.port("mx"));
      await c.reply();
      await c.cmd("EHLO client.test");
      expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
      expect((await c.cmd("RCPT TO:<alice@example.test>")).lines).toEqual(["451 4.3.0 Temporary local problem, please try again later"]);
      expect((await c.cmd("NOOP")).code).toBe(250);
      c.close();
    } finally {
      await s.stop();
    }
  });

  test("a connect handler that rejects: 554 and close, no session", async () => {
    const refuse = defineHandler({ event: "smtp.connect", name: "refuse-all", handle: () => verdict.reject(554, "5.7.1", "Not welcome") });
    const s = await startTestServer({ handlers: [refuse] });
    try {
      const c = await RawSmtp.connect(s.port("mx"));
      expect((await c.reply()).lines).toEqual(["554 5.7.1 Not welcome"]);
      expect(await c.waitClosed()).toBe(true);
    } finally {
      await s.stop();
    }
  });

  test("a connect handler that throws: 421 4.3.0 and close (never a greeting)", async () => {
    const boom = defineHandler({
      event: "smtp.connect",
      name: "boom-connect",
      handle() {
        throw new Error("boom");
      },
    });
    const s = await startTestServer({ handlers: [boom] });
    try {
      const c = await RawSmtp.connect(s.port("mx"));
      const r = await c.reply();
      expect(r.lines[0]).toStartWith("421 4.3.0 ");
      expect(await c.waitClosed()).toBe(true);
    } finally {
      await s.stop();
    }
  });
});
