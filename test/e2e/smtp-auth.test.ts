// SMTP AUTH (RFC 4954) on the real listener: never over cleartext unless configured for
// loopback (DESIGN §5), PLAIN / LOGIN / SCRAM-SHA-256, cancel and malformed responses,
// failure back-off and disconnect, and sender enforcement for authenticated submission.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { addAlias } from "../../src/store/aliases.ts";

let strict: TestServer;
let loop: TestServer;
beforeAll(async () => {
  strict = await startTestServer();
  loop = await startTestServer({ auth: { allowPlaintextOnLoopback: true }, limits: { authFailureDelayMs: 40, maxAuthFailures: 3 } });
  await addAlias(loop.server.db, "alice.alias@example.test", "alice@example.test");
  await addAlias(loop.server.db, "bob.alias@example.test", "bob@example.test");
});
afterAll(async () => {
  await strict.stop();
  await loop.stop();
});

const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

async function open(t: TestServer, role: "mx" | "submission" | "submissions" | "lmtp" = "submission"): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port(role), { tls: role === "submissions" });
  expect((await c.reply()).code).toBe(220);
  const ehlo = await c.cmd(role === "lmtp" ? "LHLO client.test" : "EHLO client.test");
  expect(ehlo.code).toBe(250);
  return c;
}

async function openTls(t: TestServer): Promise<RawSmtp> {
  const c = await open(t);
  expect((await c.cmd("STARTTLS")).code).toBe(220);
  await c.startTls();
  expect((await c.cmd("EHLO client.test")).code).toBe(250);
  return c;
}

describe("no AUTH over cleartext", () => {
  test("submission in cleartext: AUTH is refused with 530 5.7.0 and not advertised", async () => {
    const c = await RawSmtp.connect(strict.port("submission"));
    await c.reply();
    const ehlo = await c.cmd("EHLO client.test");
    expect(ehlo.lines.some((l) => l.includes("AUTH"))).toBe(false);
    for (const cmd of [`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`, "AUTH LOGIN", "AUTH SCRAM-SHA-256"]) {
      expect((await c.cmd(cmd)).lines[0]).toStartWith("530 5.7.0 ");
    }
    // Still not authenticated: MAIL needs AUTH on submission.
    expect((await c.cmd("MAIL FROM:<alice@example.test>")).lines[0]).toStartWith("530 5.7.0 ");
    c.close();
  });

  test("allowPlaintextOnLoopback permits AUTH in cleartext from 127.0.0.1", async () => {
    const c = await open(loop);
    expect((await c.cmd(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`)).lines).toEqual(["235 2.7.0 Authentication successful"]);
    c.close();
  });

  test("AUTH is never available on port 25 or LMTP, even with allowPlaintextOnLoopback", async () => {
    for (const role of ["mx", "lmtp"] as const) {
      const c = await open(loop, role);
      const r = await c.cmd(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`);
      expect(r.code).toBe(502);
      expect(r.lines[0]).toStartWith("502 5.5.1 ");
      c.close();
    }
  });

  test("AUTH before EHLO is out of sequence (503 5.5.1)", async () => {
    const c = await RawSmtp.connect(loop.port("submission"));
    await c.reply();
    expect((await c.cmd(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`)).lines[0]).toStartWith("503 5.5.1 ");
    c.close();
  });
});

describe("mechanisms", () => {
  test("PLAIN with an initial response, over STARTTLS", async () => {
    const c = await openTls(strict);
    expect((await c.cmd(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`)).lines).toEqual(["235 2.7.0 Authentication successful"]);
    // AUTH is no longer advertised, and a second AUTH is refused (RFC 4954 §4).
    const ehlo = await c.cmd("EHLO client.test");
    expect(ehlo.lines.some((l) => l.includes("AUTH"))).toBe(false);
    expect((await c.cmd(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`)).lines[0]).toStartWith("503 5.5.1 ");
    expect((await c.cmd("MAIL FROM:<alice@example.test>")).code).toBe(250);
    c.close();
  });

  test("PLAIN with an empty challenge: the 334 carries the SP of RFC 4954 §4", async () => {
    const c = await openTls(strict);
    c.send("AUTH PLAIN\r\n");
    const r = await c.reply();
    expect(r.text).toBe("334 \r\n");
    expect((await c.cmd(b64("\0bob@example.test\0bob-pw"))).lines).toEqual(["235 2.7.0 Authentication successful"]);
    c.close();
  });

  test("PLAIN with the empty initial response '=' is an empty (malformed) message: 501 5.5.2", async () => {
    const c = await open(loop);
    expect((await c.cmd("AUTH PLAIN =")).lines[0]).toStartWith("501 5.5.2 ");
    expect((await c.cmd("MAIL FROM:<alice@example.test>")).lines[0]).toStartWith("530 5.7.0 ");
    c.close();
  });

  test("PLAIN with an authorization identity naming someone else is refused", async () => {
    const c = await open(loop);
    const r = await c.cmd(`AUTH PLAIN ${b64("bob@example.test\0alice@example.test\0alice-pw")}`);
    expect(r.lines[0]).toStartWith("535 5.7.8 ");
    expect((await c.cmd("MAIL FROM:<bob@example.test>")).lines[0]).toStartWith("530 5.7.0 ");
    c.close();
  });

  test("LOGIN: Username: and Password: challenges", async () => {
    const c = await openTls(strict);
    let r = await c.cmd("AUTH LOGIN");
    expect(r.code).toBe(334);
    expect(unb64(r.lines[0].slice(4))).toBe("Username:");
    r = await c.cmd(b64("alice@example.test"));
    expect(r.code).toBe(334);
    expect(unb64(r.lines[0].slice(4))).toBe("Password:");
    expect((await c.cmd(b64("alice-pw"))).lines).toEqual(["235 2.7.0 Authentication successful"]);
    c.close();
  });

  test("LOGIN with the username as initial response", async () => {
    const c = await open(loop);
    const r = await c.cmd(`AUTH LOGIN ${b64("bob@example.test")}`);
    expect(unb64(r.lines[0].slice(4))).toBe("Password:");
    expect((await c.cmd(b64("bob-pw"))).code).toBe(235);
    c.close();
  });

  test("SCRAM-SHA-256: full exchange with server signature verification", async () => {
    const c = await openTls(strict);
    const scram = new ScramClient("alice@example.test", "alice-pw");
    let r = await c.cmd("AUTH SCRAM-SHA-256");
    expect(r.text).toBe("334 \r\n");
    r = await c.cmd(b64(scram.first()));
    expect(r.code).toBe(334);
    const serverFinal = await c.cmd(b64(scram.final(unb64(r.lines[0].slice(4)))));
    expect(serverFinal.code).toBe(334);
    expect(scram.verify(unb64(serverFinal.lines[0].slice(4)))).toBe(true);
    expect((await c.cmd("")).lines).toEqual(["235 2.7.0 Authentication successful"]);
    expect((await c.cmd("MAIL FROM:<alice@example.test>")).code).toBe(250);
    c.close();
  });

  test("SCRAM-SHA-256 with the client-first message as initial response", async () => {
    const c = await open(loop);
    const scram = new ScramClient("bob@example.test", "bob-pw");
    const r = await c.cmd(`AUTH SCRAM-SHA-256 ${b64(scram.first())}`);
    expect(r.code).toBe(334);
    const serverFinal = await c.cmd(b64(scram.final(unb64(r.lines[0].slice(4)))));
    expect(scram.verify(unb64(serverFinal.lines[0].slice(4)))).toBe(true);
    expect((await c.cmd("")).code).toBe(235);
    c.close();
  });

  test("SCRAM-SHA-256 with a wrong password fails with 535 5.7.8", async () => {
    const c = await open(loop);
    const scram = new ScramClient("alice@example.test", "wrong");
    const r = await c.cmd(`AUTH SCRAM-SHA-256 ${b64(scram.first())}`);
    expect(r.code).toBe(334);
    expect((await c.cmd(b64(scram.final(unb64(r.lines[0].slice(4)))))).lines[0]).toStartWith("535 5.7.8 ");
    c.close();
  });

  test("an unknown mechanism is refused with 504 5.5.4", async () => {
    const c = await open(loop);
    expect((await c.cmd("AUTH CRAM-MD5")).lines[0]).toStartWith("504 5.5.4 ");
    expect((await c.cmd("AUTH GSSAPI")).lines[0]).toStartWith("504 5.5.4 ");
    c.close();
  });
});

describe("cancel, malformed and failed exchanges", () => {
  test("'*' cancels the exchange with 501, and AUTH can be retried", async () => {
    const c = await open(loop);
    expect((await c.cmd("AUTH LOGIN")).code).toBe(334);
    const r = await c.cmd("*");
    expect(r.code).toBe(501);
    expect(r.lines[0]).toMatch(/^501 5\.\d+\.\d+ /);
    expect((await c.cmd(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`)).code).toBe(235);
    c.close();
  });

  test("invalid base64 in a response or an initial response: 501 5.5.2", async () => {
    const c = await open(loop);
    expect((await c.cmd("AUTH PLAIN")).code).toBe(334);
    expect((await c.cmd("not base64!")).lines[0]).toStartWith("501 5.5.2 ");
    // The exchange is over: the next line is a command again.
    expect((await c.cmd("NOOP")).code).toBe(250);
    expect((await c.cmd("AUTH PLAIN @@@@")).lines[0]).toStartWith("501 5.5.2 ");
    expect((await c.cmd("AUTH PLAIN YWJj=")).lines[0]).toStartWith("501 5.5.2 ");
    expect((await c.cmd("NOOP")).code).toBe(250);
    c.close();
  });

  test("a command sent during an exchange is a (malformed) response, not a command", async () => {
    const c = await open(loop);
    expect((await c.cmd("AUTH LOGIN")).code).toBe(334);
    expect((await c.cmd("MAIL FROM:<alice@example.test>")).lines[0]).toStartWith("501 5.5.2 ");
    expect((await c.cmd("MAIL FROM:<alice@example.test>")).lines[0]).toStartWith("530 5.7.0 ");
    c.close();
  });

  test("wrong passwords: 535 5.7.8 with growing delays, then 421 and disconnect at maxAuthFailures", async () => {
    const c = await open(loop);
    const delays: number[] = [];
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      const r = await c.cmd(`AUTH PLAIN ${b64("\0alice@example.test\0wrong-" + i)}`);
      delays.push(performance.now() - t0);
      expect(r.lines).toEqual(["535 5.7.8 Authentication credentials invalid"]);
    }
    const t0 = performance.now();
    const last = await c.cmd(`AUTH PLAIN ${b64("\0nobody@example.test\0whatever")}`);
    delays.push(performance.now() - t0);
    expect(last.lines).toEqual(["535 5.7.8 Authentication credentials invalid"]);
    const bye = await c.reply();
    expect(bye.code).toBe(421);
    expect(bye.lines[0]).toStartWith("421 4.7.0 ");
    expect(await c.waitClosed()).toBe(true);
    // authFailureDelayMs 40: 40, 80, 160 ms (timers never fire early; allow 5 ms of rounding).
    expect(delays[0]).toBeGreaterThanOrEqual(35);
    expect(delays[1]).toBeGreaterThanOrEqual(75);
    expect(delays[2]).toBeGreaterThanOrEqual(155);
  });

  test("an unknown user gets the same 535 as a wrong password", async () => {
    const c = await open(loop);
    expect((await c.cmd(`AUTH PLAIN ${b64("\0nobody@example.test\0x")}`)).lines).toEqual(["535 5.7.8 Authentication credentials invalid"]);
    c.close();
  });

  test("a second AUTH, here during a mail transaction, is refused with 503 5.5.1", async () => {
    const c = await open(loop);
    expect((await c.cmd(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`)).code).toBe(235);
    expect((await c.cmd("MAIL FROM:<alice@example.test>")).code).toBe(250);
    expect((await c.cmd(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`)).lines[0]).toStartWith("503 5.5.1 ");
    c.close();
  });

  test("AUTH on implicit TLS (465) works", async () => {
    const c = await open(strict, "submissions");
    expect((await c.cmd(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`)).code).toBe(235);
    c.close();
  });
});

describe("submission requires AUTH and enforces the sender", () => {
  test("MAIL before AUTH on submission: 530 5.7.0", async () => {
    const c = await openTls(strict);
    expect((await c.cmd("MAIL FROM:<alice@example.test>")).lines[0]).toStartWith("530 5.7.0 ");
    c.close();
  });

  async function asAlice(): Promise<RawSmtp> {
    const c = await open(loop);
    expect((await c.cmd(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`)).code).toBe(235);
    return c;
  }

  test("alice may not send as bob (553 5.7.1), nor as a foreign address", async () => {
    const c = await asAlice();
    expect((await c.cmd("MAIL FROM:<bob@example.test>")).lines[0]).toStartWith("553 5.7.1 ");
    expect((await c.cmd("MAIL FROM:<ceo@foreign.test>")).lines[0]).toStartWith("553 5.7.1 ");
    expect((await c.cmd("MAIL FROM:<bob.alias@example.test>")).lines[0]).toStartWith("553 5.7.1 ");
    expect((await c.cmd("MAIL FROM:<nobody@example.test>")).lines[0]).toStartWith("553 5.7.1 ");
    c.close();
  });

  test("alice may use her own address (any case) and an alias that points to her", async () => {
    const c = await asAlice();
    expect((await c.cmd("MAIL FROM:<alice@example.test>")).code).toBe(250);
    expect((await c.cmd("RSET")).code).toBe(250);
    expect((await c.cmd("MAIL FROM:<Alice@Example.TEST>")).code).toBe(250);
    expect((await c.cmd("RSET")).code).toBe(250);
    expect((await c.cmd("MAIL FROM:<alice.alias@example.test>")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<bob@example.test>")).code).toBe(250);
    expect((await c.cmd("DATA")).code).toBe(354);
    expect((await c.cmd("Subject: from alias\r\n\r\nhi\r\n.")).code).toBe(250);
    c.close();
  });
});

/** Minimal SCRAM-SHA-256 client (RFC 5802 / RFC 7677), no channel binding ("n,,"). */
class ScramClient {
  readonly #nonce = randomBytes(18).toString("base64");
  #bare = "";
  #authMessage = "";
  #salted: Buffer = Buffer.alloc(0);
  constructor(readonly user: string, readonly password: string) {}

  first(): string {
    const name = this.user.replace(/=/g, "=3D").replace(/,/g, "=2C");
    this.#bare = `n=${name},r=${this.#nonce}`;
    return `n,,${this.#bare}`;
  }

  final(serverFirst: string): string {
    const attrs = new Map(serverFirst.split(",").map((kv) => [kv[0], kv.slice(2)] as [string, string]));
    const nonce = attrs.get("r")!;
    if (!nonce.startsWith(this.#nonce)) throw new Error("server nonce does not extend ours");
    this.#salted = pbkdf2Sync(this.password, Buffer.from(attrs.get("s")!, "base64"), Number(attrs.get("i")), 32, "sha256");
    const withoutProof = `c=${b64("n,,")},r=${nonce}`;
    this.#authMessage = `${this.#bare},${serverFirst},${withoutProof}`;
    const clientKey = createHmac("sha256", this.#salted).update("Client Key").digest();
    const storedKey = createHash("sha256").update(clientKey).digest();
    const signature = createHmac("sha256", storedKey).update(this.#authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
    return `${withoutProof},p=${proof.toString("base64")}`;
  }

  verify(serverFinal: string): boolean {
    const serverKey = createHmac("sha256", this.#salted).update("Server Key").digest();
    const expected = createHmac("sha256", serverKey).update(this.#authMessage).digest("base64");
    return serverFinal === `v=${expected}`;
  }
}

describe("fixes found in review", () => {
  test("a SASL response longer than the command-line limit is accepted (RFC 4954 §4)", async () => {
    const c = await open(loop);
    const long = "x".repeat(3000);
    expect((await c.cmd("AUTH PLAIN")).text).toBe("334 \r\n");
    // 3000-octet password → ~4 KiB of base64, twice maxCommandLine: judged, not refused as too long.
    expect((await c.cmd(b64(`\0alice@example.test\0${long}`))).lines[0]).toStartWith("535 5.7.8 ");
    // And the limit is back in force for commands afterwards.
    expect((await c.cmd(`NOOP ${"y".repeat(3000)}`)).lines[0]).toStartWith("500 5.5.2 ");
    c.close();
  });

  test("SCRAM records the stored address, not the client's spelling, as the user", async () => {
    const c = await openTls(strict);
    const scram = new ScramClient("ALICE@Example.TEST", "alice-pw");
    const r = await c.cmd(`AUTH SCRAM-SHA-256 ${b64(scram.first())}`);
    expect(r.code).toBe(334);
    const serverFinal = await c.cmd(b64(scram.final(unb64(r.lines[0].slice(4)))));
    expect(serverFinal.code).toBe(334);
    expect((await c.cmd("")).code).toBe(235);
    // Sender enforcement compares with the canonical address: her own address passes.
    expect((await c.cmd("MAIL FROM:<alice@example.test>")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<bob@example.test>")).code).toBe(250);
    expect((await c.cmd("DATA")).code).toBe(354);
    expect((await c.cmd("Subject: scram-case\r\n\r\nx\r\n.")).code).toBe(250);
    c.close();
    const { findAccount } = await import("../../src/store/accounts.ts");
    const { findMailbox, listMessages, getBody } = await import("../../src/store/messages.ts");
    const bob = await findAccount(strict.server.db, "bob@example.test");
    const inbox = await findMailbox(strict.server.db, bob!.id, "INBOX");
    const bodies = await Promise.all((await listMessages(strict.server.db, inbox!.id)).map(async (m) => new TextDecoder().decode((await getBody(strict.server.db, m.bodyHash))!.content)));
    const msg = bodies.find((b) => b.includes("Subject: scram-case"));
    expect(msg).toContain("(authenticated user alice@example.test)");
  });
});
