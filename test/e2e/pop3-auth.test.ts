// AUTH on the real POP3 listeners (RFC 5034): PLAIN with an initial response or after an
// empty challenge, LOGIN, SCRAM-SHA-256 with the server signature checked, cancel, the
// mechanism list, and the pop3.login policy event (reject → [SYS/PERM], tempfail → [SYS/TEMP]).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawPop3 } from "../protocol/pop3/raw-pop3.ts";
import { defineHandler } from "../../src/events/handler.ts";
import { verdict } from "../../src/events/verdict.ts";

const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

const logins: { mechanism: string; username: string; tls: boolean }[] = [];
const loginPolicy = defineHandler({
  event: "pop3.login",
  name: "pop3-login-test-policy",
  handle(e) {
    logins.push({ mechanism: e.mechanism, username: e.username, tls: e.session.tls !== null });
    if (e.username === "bob@example.test") return verdict.reject(550, "5.7.1", "POP3 access disabled for this account");
    return verdict.continue();
  },
});

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ handlers: [loginPolicy] });
});
afterAll(async () => {
  await t.stop();
});

/** pop3s: implicit TLS, where AUTH is allowed. */
async function open(): Promise<RawPop3> {
  const c = await RawPop3.connect(t.port("pop3s"), { tls: true });
  expect(await c.line()).toStartWith("+OK ");
  return c;
}

/** Minimal SCRAM-SHA-256 client (RFC 5802 / RFC 7677), no channel binding ("n,,"). */
class ScramClient {
  readonly #nonce = randomBytes(18).toString("base64");
  #bare = "";
  #authMessage = "";
  #salted: Buffer = Buffer.alloc(0);
  constructor(readonly user: string, readonly password: string) {}

  first(): string {
    this.#bare = `n=${this.user.replace(/=/g, "=3D").replace(/,/g, "=2C")},r=${this.#nonce}`;
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
    return `${withoutProof},p=${Buffer.from(clientKey.map((b, i) => b ^ signature[i])).toString("base64")}`;
  }

  verify(serverFinal: string): boolean {
    const serverKey = createHmac("sha256", this.#salted).update("Server Key").digest();
    return serverFinal === `v=${createHmac("sha256", serverKey).update(this.#authMessage).digest("base64")}`;
  }
}

describe("SASL mechanisms", () => {
  test("CAPA lists SASL PLAIN LOGIN SCRAM-SHA-256; a bare AUTH lists them too", async () => {
    const c = await open();
    expect((await c.multiCmd("CAPA")).lines).toContain("SASL PLAIN LOGIN SCRAM-SHA-256");
    expect((await c.multiCmd("AUTH")).lines).toEqual(["PLAIN", "LOGIN", "SCRAM-SHA-256"]);
    c.close();
  });

  test("PLAIN with an initial response", async () => {
    const c = await open();
    expect(await c.cmd(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`)).toStartWith("+OK Logged in");
    expect(await c.cmd("STAT")).toMatch(/^\+OK \d+ \d+$/);
    await c.cmd("QUIT");
    expect(logins.at(-1)).toEqual({ mechanism: "PLAIN", username: "alice@example.test", tls: true });
  });

  test("PLAIN after an empty challenge; LOGIN with its prompts", async () => {
    const c = await open();
    expect(await c.cmd("AUTH PLAIN")).toBe("+ ");
    expect(await c.cmd(b64("\0alice@example.test\0alice-pw"))).toStartWith("+OK Logged in");
    await c.cmd("QUIT");
    const d = await open();
    expect(unb64((await d.cmd("AUTH LOGIN")).slice(2))).toBe("Username:");
    expect(unb64((await d.cmd(b64("alice@example.test"))).slice(2))).toBe("Password:");
    expect(await d.cmd(b64("alice-pw"))).toStartWith("+OK Logged in");
    await d.cmd("QUIT");
  });

  test("SCRAM-SHA-256: the server proves it knows the verifier, then +OK", async () => {
    const c = await open();
    const scram = new ScramClient("alice@example.test", "alice-pw");
    const first = await c.cmd(`AUTH SCRAM-SHA-256 ${b64(scram.first())}`);
    expect(first).toStartWith("+ ");
    const serverFinal = await c.cmd(b64(scram.final(unb64(first.slice(2)))));
    expect(serverFinal).toStartWith("+ ");
    expect(scram.verify(unb64(serverFinal.slice(2)))).toBe(true);
    expect(await c.cmd("")).toStartWith("+OK Logged in");
    await c.cmd("QUIT");
    expect(logins.at(-1)?.mechanism).toBe("SCRAM-SHA-256");
  });

  test("SCRAM-SHA-256 with a wrong password fails with [AUTH]", async () => {
    const c = await open();
    const scram = new ScramClient("alice@example.test", "wrong");
    const first = await c.cmd("AUTH SCRAM-SHA-256");
    expect(first).toBe("+ ");
    const serverFirst = await c.cmd(b64(scram.first()));
    expect(await c.cmd(b64(scram.final(unb64(serverFirst.slice(2)))))).toBe("-ERR [AUTH] Authentication failed");
    c.close();
  });

  test("cancel with *, malformed base64, unknown mechanism", async () => {
    const c = await open();
    expect(await c.cmd("AUTH LOGIN")).toStartWith("+ ");
    expect(await c.cmd("*")).toBe("-ERR Authentication cancelled");
    expect(await c.cmd("AUTH PLAIN")).toBe("+ ");
    expect(await c.cmd("not base64!")).toBe("-ERR Malformed authentication data");
    expect(await c.cmd("AUTH GSSAPI")).toBe("-ERR Unsupported authentication mechanism");
    // Still in AUTHORIZATION and usable.
    expect(await c.cmd(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`)).toStartWith("+OK Logged in");
    await c.cmd("QUIT");
  });

  test("a long SASL response is not held to the 255-octet command limit", async () => {
    const c = await open();
    expect(await c.cmd("AUTH PLAIN")).toBe("+ ");
    expect(await c.cmd(b64(`\0alice@example.test\0${"x".repeat(2000)}`))).toBe("-ERR [AUTH] Authentication failed");
    expect(await c.cmd(`USER ${"y".repeat(300)}`)).toBe("-ERR Line too long");
    c.close();
  });
});

describe("the pop3.login policy", () => {
  test("runs after the credentials are verified; a reject is -ERR [SYS/PERM] and no maildrop is opened", async () => {
    const c = await open();
    await c.cmd("USER bob@example.test");
    expect(await c.cmd("PASS bob-pw")).toBe("-ERR [SYS/PERM] POP3 access disabled for this account");
    expect(logins.at(-1)).toEqual({ mechanism: "USER", username: "bob@example.test", tls: true });
    expect(await c.cmd("STAT")).toBe("-ERR STAT is not allowed before authentication");
    // A wrong password never reaches the policy.
    const n = logins.length;
    await c.cmd("USER alice@example.test");
    expect(await c.cmd("PASS bad")).toBe("-ERR [AUTH] Authentication failed");
    expect(logins.length).toBe(n);
    c.close();
  });
});
