// The outbound SMTP client against the scriptable fake server: wire framing (CRLF only,
// dot-stuffing, one end-of-data), per-recipient parameters and replies, TLS policies, faults.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectSmtp, SmtpClientError, type ConnectOptions, type Transaction } from "../../src/delivery/smtp-client.ts";
import { toWireLines } from "../../src/delivery/wire.ts";
import { startFakeSmtp, type FakeSmtp, type FakeSmtpOptions } from "../helpers/fake-smtp.ts";
import { createTestCa, type TestCa } from "../helpers/test-ca.ts";

const servers: FakeSmtp[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

async function fake(o: FakeSmtpOptions = {}): Promise<FakeSmtp> {
  const s = await startFakeSmtp(o);
  servers.push(s);
  return s;
}

const TIMEOUTS = { connectMs: 2000, greetingMs: 2000, commandMs: 2000, dataDoneMs: 2000 };

function opts(s: FakeSmtp, extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return { address: s.host, port: s.port, host: "mx.other.test", heloName: "mx.example.test", tls: { mode: "opportunistic" }, timeouts: TIMEOUTS, ...extra };
}

const enc = new TextEncoder();

function tx(body: string, recipients = ["bob@other.test"]): Transaction {
  return { mailFrom: "alice@example.test", mailParams: [], recipients: recipients.map((address) => ({ address, params: [] })), data: toWireLines(enc.encode(body)) };
}

let ca: TestCa;
beforeAll(async () => {
  ca = await createTestCa();
});

describe("DATA on the wire", () => {
  test("CRLF only, dot-stuffed, exactly one CRLF.CRLF, even for bare LF/CR and \\n.\\n", async () => {
    const s = await fake();
    const session = await connectSmtp(opts(s));
    const body = "Subject: x\n\n.leading dot\nbare lf\rbare cr\n.\nnot the end\r\n.\r\nstill not\r.\rend";
    const r = await session.send(tx(body));
    session.close();
    expect(r.kind).toBe("done");
    const wire = s.transactions[0].data.toString("latin1");
    // No bare CR or LF anywhere.
    expect(wire.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    // The end-of-data sequence appears once, at the very end.
    expect(wire.indexOf("\r\n.\r\n")).toBe(wire.length - 5);
    // Un-stuffing gives back the CRLF-normalised body.
    const unstuffed = wire.slice(0, -3).replace(/(^|\r\n)\./g, "$1");
    expect(unstuffed).toBe(Buffer.from(toWireLines(enc.encode(body))).toString("latin1"));
    expect(wire.startsWith("Subject: x\r\n\r\n..leading dot\r\n")).toBe(true);
  });

  test("an empty body still ends with one CRLF.CRLF", async () => {
    const s = await fake();
    const session = await connectSmtp(opts(s));
    await session.send(tx(""));
    session.close();
    expect(s.transactions[0].data.toString("latin1")).toBe("\r\n.\r\n");
  });
});

describe("envelope", () => {
  test("our MAIL parameters and per-recipient NOTIFY/ORCPT go out as given", async () => {
    const s = await fake();
    const session = await connectSmtp(opts(s));
    expect(session.extensions.has("DSN")).toBe(true);
    expect(session.maxSize).toBe(10000000);
    await session.send({
      mailFrom: "alice@example.test",
      mailParams: ["SIZE=20", "RET=HDRS", "ENVID=abc"],
      recipients: [
        { address: "a@other.test", params: ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;a@other.test"] },
        { address: "b@other.test", params: ["NOTIFY=NEVER"] },
      ],
      data: toWireLines(enc.encode("Subject: x\r\n\r\nhi\r\n")),
    });
    session.close();
    expect(s.transactions[0].mailLine).toBe("MAIL FROM:<alice@example.test> SIZE=20 RET=HDRS ENVID=abc");
    expect(s.transactions[0].rcptLines).toEqual(["RCPT TO:<a@other.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@other.test", "RCPT TO:<b@other.test> NOTIFY=NEVER"]);
  });

  test("per-recipient results in one transaction", async () => {
    const s = await fake({ rcpt: (to) => (to.startsWith("soft") ? "450 4.2.1 try later" : to.startsWith("hard") ? "550 5.1.1 no such user" : "250 2.1.5 Ok") });
    const session = await connectSmtp(opts(s));
    const r = await session.send(tx("hi\r\n", ["ok@other.test", "soft@other.test", "hard@other.test"]));
    session.close();
    if (r.kind !== "done") throw new Error(r.kind);
    expect(r.rejected.get("soft@other.test")).toMatchObject({ code: 450, enhanced: "4.2.1" });
    expect(r.rejected.get("hard@other.test")).toMatchObject({ code: 550, enhanced: "5.1.1" });
    expect(r.rejected.has("ok@other.test")).toBe(false);
    expect(r.data).toMatchObject({ code: 250, enhanced: "2.0.0" });
    expect(s.transactions[0].recipients).toEqual(["ok@other.test"]);
  });

  test("MAIL refused and all RCPT refused", async () => {
    const s1 = await fake({ mail: () => "553 5.7.1 sender refused" });
    const a = await connectSmtp(opts(s1));
    const r1 = await a.send(tx("hi\r\n"));
    a.close();
    expect(r1).toMatchObject({ kind: "mail", reply: { code: 553, enhanced: "5.7.1" } });
    const s2 = await fake({ rcpt: () => "550 5.1.1 nope" });
    const b = await connectSmtp(opts(s2));
    const r2 = await b.send(tx("hi\r\n"));
    b.close();
    if (r2.kind !== "done") throw new Error(r2.kind);
    expect(r2.data).toBeNull();
    expect(r2.rejected.get("bob@other.test")?.code).toBe(550);
    expect(s2.transactions.length).toBe(0);
  });

  test("a connection is reused for a second transaction after RSET", async () => {
    const s = await fake();
    const session = await connectSmtp(opts(s));
    expect((await session.send(tx("one\r\n"))).kind).toBe("done");
    expect(await session.reset()).toBe(true);
    expect((await session.send(tx("two\r\n"))).kind).toBe("done");
    session.close();
    expect(s.connections()).toBe(1);
    expect(s.transactions.length).toBe(2);
  });
});

describe("faults", () => {
  test("refused connection", async () => {
    const s = await fake();
    await s.stop();
    servers.splice(servers.indexOf(s), 1);
    const err = await connectSmtp(opts(s)).catch((e) => e);
    expect(err).toBeInstanceOf(SmtpClientError);
    expect(err.kind).toBe("connect");
  });

  test("greeting timeout", async () => {
    const s = await fake({ greeting: "hang" });
    const err = await connectSmtp(opts(s, { timeouts: { ...TIMEOUTS, greetingMs: 200 } })).catch((e) => e);
    expect(err).toMatchObject({ kind: "timeout" });
  });

  test("4xx greeting carries the reply", async () => {
    const s = await fake({ greeting: "421 4.3.2 busy" });
    const err = await connectSmtp(opts(s)).catch((e) => e);
    expect(err).toBeInstanceOf(SmtpClientError);
    expect(err.reply?.code).toBe(421);
  });

  test("5xx to EHLO and HELO", async () => {
    const s = await fake({ ehlo: "554 5.7.1 go away", helo: "554 5.7.1 go away" });
    const err = await connectSmtp(opts(s)).catch((e) => e);
    expect(err).toMatchObject({ kind: "reply", stage: "ehlo" });
    expect(err.reply?.code).toBe(554);
  });

  test("drop after DATA: the outcome is unknown (dropped)", async () => {
    const s = await fake({ dataDone: "drop" });
    const session = await connectSmtp(opts(s));
    const r = await session.send(tx("hi\r\n"));
    expect(r.kind).toBe("dropped");
    expect(session.usable()).toBe(false);
  });

  test("no reply after the final dot: timeout, dropped", async () => {
    const s = await fake({ dataDone: "hang" });
    const session = await connectSmtp(opts(s, { timeouts: { ...TIMEOUTS, dataDoneMs: 200 } }));
    const r = await session.send(tx("hi\r\n"));
    expect(r).toMatchObject({ kind: "dropped", error: { kind: "timeout" } });
  });

  test("DATA 4xx and end-of-data 5xx", async () => {
    const s1 = await fake({ data: "451 4.3.0 later" });
    const a = await connectSmtp(opts(s1));
    const r1 = await a.send(tx("hi\r\n"));
    a.close();
    expect(r1).toMatchObject({ kind: "done", data: { code: 451 } });
    const s2 = await fake({ dataDone: "554 5.6.0 content rejected" });
    const b = await connectSmtp(opts(s2));
    const r2 = await b.send(tx("hi\r\n"));
    b.close();
    expect(r2).toMatchObject({ kind: "done", data: { code: 554, enhanced: "5.6.0" } });
  });
});

describe("TLS", () => {
  test("opportunistic: STARTTLS with an untrusted certificate is used; the message is not in cleartext", async () => {
    const cert = await ca.issue({ names: ["wrong.test"] });
    const s = await fake({ tls: cert });
    const session = await connectSmtp(opts(s));
    expect(session.secure).toBe(true);
    await session.send(tx("Subject: secret\r\n\r\nbody\r\n"));
    session.close();
    expect(s.cleartext().toString("latin1")).not.toContain("MAIL FROM");
    expect(s.transactions[0].tls).toBe(true);
  });

  test("required + verify: a valid certificate for the MX name passes", async () => {
    const cert = await ca.issue({ names: ["mx.other.test"] });
    const s = await fake({ tls: cert });
    const session = await connectSmtp(opts(s, { tls: { mode: "required", verify: true }, ca: ca.caPem }));
    expect(session.secure).toBe(true);
    session.close();
  });

  for (const [name, issue] of [
    ["expired", { names: ["mx.other.test"], notBefore: new Date(Date.now() - 10 * 86400_000), notAfter: new Date(Date.now() - 86400_000) }],
    ["mismatched", { names: ["other-name.test"] }],
  ] as const) {
    test(`required + verify: ${name} certificate fails, nothing sent in cleartext after EHLO`, async () => {
      const cert = await ca.issue({ ...issue, names: [...issue.names] });
      const s = await fake({ tls: cert });
      const err = await connectSmtp(opts(s, { tls: { mode: "required", verify: true }, ca: ca.caPem })).catch((e) => e);
      expect(err).toMatchObject({ kind: "tls" });
      expect(s.cleartext().toString("latin1")).not.toContain("MAIL");
    });
  }

  test("required: a server without STARTTLS gets no transaction", async () => {
    const s = await fake();
    const err = await connectSmtp(opts(s, { tls: { mode: "required", verify: false } })).catch((e) => e);
    expect(err).toMatchObject({ kind: "tls" });
    expect(s.cleartext().toString("latin1")).not.toContain("MAIL");
  });

  test("opportunistic: STARTTLS refused → continues in cleartext", async () => {
    const s = await fake({ starttlsReply: "454 4.7.0 TLS not available" });
    const session = await connectSmtp(opts(s));
    expect(session.secure).toBe(false);
    expect((await session.send(tx("hi\r\n"))).kind).toBe("done");
    session.close();
  });
});
