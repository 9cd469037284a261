// STARTTLS (RFC 3207) on the real listener: command injection (bytes pipelined after
// STARTTLS are discarded, CVE-2011-0411), the session reset after the handshake, no second
// STARTTLS, and the TLS floor (DESIGN §5: TLS 1.2 minimum).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as net from "node:net";
import * as tls from "node:tls";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { findAccount } from "../../src/store/accounts.ts";
import { findMailbox, getBody, listMessages } from "../../src/store/messages.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

async function open(port: number): Promise<RawSmtp> {
  const c = await RawSmtp.connect(port);
  expect((await c.reply()).code).toBe(220);
  return c;
}

const plain = (s: string) => Buffer.from(s).toString("base64");

describe("STARTTLS command injection", () => {
  for (const role of ["mx", "submission"] as const) {
    test(`${role}: an EHLO pipelined after STARTTLS is never answered, in cleartext or after the handshake`, async () => {
      const c = await open(t.port(role));
      expect((await c.cmd("EHLO client.test")).code).toBe(250);
      // One write: the injected command rides in the same segment as STARTTLS.
      c.send("STARTTLS\r\nEHLO evil\r\n");
      const r = await c.reply();
      expect(r.lines).toEqual(["220 2.0.0 Ready to start TLS"]);
      // Nothing else in cleartext: a plaintext 250 here would also break the handshake below.
      expect(c.buffered).toBe("");
      await c.startTls();
      // The first reply over TLS answers our NOOP, not the injected EHLO.
      const first = await c.cmd("NOOP");
      expect(first.lines).toEqual(["250 2.0.0 Ok"]);
      // And the injected EHLO did not greet the session: MAIL is still out of sequence.
      expect((await c.cmd("MAIL FROM:<bob@other.test>")).lines[0]).toStartWith("503 5.5.1 ");
      c.close();
    });
  }

  test("an AUTH pipelined after STARTTLS does not authenticate the TLS session", async () => {
    const c = await open(t.port("submission"));
    await c.cmd("EHLO client.test");
    c.send(`STARTTLS\r\nAUTH PLAIN ${plain("\0alice@example.test\0alice-pw")}\r\nMAIL FROM:<alice@example.test>\r\n`);
    expect((await c.reply()).code).toBe(220);
    await c.startTls();
    const ehlo = await c.cmd("EHLO client.test");
    expect(ehlo.code).toBe(250);
    // Still offered: the session is not authenticated.
    expect(ehlo.lines.some((l) => l.includes("AUTH PLAIN"))).toBe(true);
    expect((await c.cmd("MAIL FROM:<alice@example.test>")).lines[0]).toStartWith("530 5.7.0 ");
    c.close();
  });

  test("injected bytes split across writes right after STARTTLS are discarded too", async () => {
    const c = await open(t.port("mx"));
    await c.cmd("EHLO client.test");
    c.send("STARTTLS\r\n");
    c.send("EHLO evil\r\nMAIL FROM:<evil@evil.test>\r\n");
    expect((await c.reply()).code).toBe(220);
    // Either the injected plaintext was dropped before the handshake, or it reached the TLS
    // engine as garbage and the handshake failed: never is it executed as a command.
    let upgraded = true;
    try {
      await c.startTls();
    } catch {
      upgraded = false;
    }
    if (upgraded) {
      let first: Awaited<ReturnType<RawSmtp["reply"]>> | null = null;
      try {
        first = await c.cmd("NOOP");
      } catch {
        // The server may have torn the connection down instead.
      }
      if (first) {
        expect(first.lines).toEqual(["250 2.0.0 Ok"]);
        expect((await c.cmd("RCPT TO:<alice@example.test>")).lines[0]).toStartWith("503 5.5.1 ");
      }
    }
    c.close();
  });
});

describe("after the handshake", () => {
  test("the session starts over: EHLO is required again, the transaction is gone", async () => {
    const c = await open(t.port("mx"));
    await c.cmd("EHLO client.test");
    expect((await c.cmd("MAIL FROM:<bob@other.test>")).code).toBe(250);
    expect((await c.cmd("STARTTLS")).code).toBe(220);
    await c.startTls();
    expect((await c.cmd("MAIL FROM:<bob@other.test>")).lines[0]).toStartWith("503 5.5.1 ");
    expect((await c.cmd("RCPT TO:<alice@example.test>")).lines[0]).toStartWith("503 5.5.1 ");
    const ehlo = await c.cmd("EHLO client.test");
    expect(ehlo.code).toBe(250);
    expect(ehlo.lines.map((l) => l.slice(4))).not.toContain("STARTTLS");
    expect((await c.cmd("RCPT TO:<alice@example.test>")).lines[0]).toStartWith("503 5.5.1 ");
    expect((await c.cmd("MAIL FROM:<bob@other.test>")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
    expect((await c.cmd("DATA")).code).toBe(354);
    expect((await c.cmd("Subject: tls\r\n\r\nover tls\r\n.")).code).toBe(250);
    c.close();
  });

  test("BDAT chunks collected before STARTTLS never become part of a message after it", async () => {
    const c = await open(t.port("mx"));
    await c.cmd("EHLO client.test");
    await c.cmd("MAIL FROM:<bob@other.test>");
    await c.cmd("RCPT TO:<alice@example.test>");
    const injected = "X-Injected: before-tls\r\n";
    c.send(`BDAT ${injected.length}\r\n${injected}`);
    expect((await c.reply()).code).toBe(250);
    expect((await c.cmd("STARTTLS")).code).toBe(220);
    await c.startTls();
    await c.cmd("EHLO client.test");
    expect((await c.cmd("MAIL FROM:<bob@other.test>")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
    const body = "Subject: after-tls-bdat\r\n\r\nclean\r\n";
    c.send(`BDAT ${body.length} LAST\r\n${body}`);
    expect((await c.reply()).code).toBe(250);
    c.close();
    const acct = await findAccount(t.server.db, "alice@example.test");
    const box = await findMailbox(t.server.db, acct!.id, "INBOX");
    const texts: string[] = [];
    for (const m of await listMessages(t.server.db, box!.id)) {
      texts.push(new TextDecoder().decode((await getBody(t.server.db, m.bodyHash))!.content));
    }
    const mine = texts.filter((x) => x.includes("Subject: after-tls-bdat"));
    expect(mine.length).toBe(1);
    expect(mine[0]).not.toContain("X-Injected");
  });

  test("a second STARTTLS is refused with 503 5.5.1", async () => {
    const c = await open(t.port("submission"));
    await c.cmd("EHLO client.test");
    expect((await c.cmd("STARTTLS")).code).toBe(220);
    await c.startTls();
    await c.cmd("EHLO client.test");
    expect((await c.cmd("STARTTLS")).lines[0]).toStartWith("503 5.5.1 ");
    // The session is intact.
    expect((await c.cmd("NOOP")).code).toBe(250);
    c.close();
  });

  test("STARTTLS on implicit TLS (465) is refused with 503 5.5.1", async () => {
    const c = await RawSmtp.connect(t.port("submissions"), { tls: true });
    expect((await c.reply()).code).toBe(220);
    await c.cmd("EHLO client.test");
    expect((await c.cmd("STARTTLS")).lines[0]).toStartWith("503 5.5.1 ");
    c.close();
  });

  test("TLS 1.3 is negotiated by default", async () => {
    const sock = net.connect({ host: "127.0.0.1", port: t.port("mx") });
    const version = await upgrade(sock, {});
    expect(version).toBe("TLSv1.3");
  });

  test("a client limited to TLS 1.1 cannot complete the handshake (TLS 1.2 minimum)", async () => {
    const sock = net.connect({ host: "127.0.0.1", port: t.port("mx") });
    let outcome: string;
    try {
      outcome = await upgrade(sock, { minVersion: "TLSv1", maxVersion: "TLSv1.1" });
    } catch {
      outcome = "refused";
    }
    expect(outcome).toBe("refused");
  });
});

/** Raw STARTTLS with chosen client TLS options; resolves with the negotiated protocol. */
async function upgrade(sock: net.Socket, opts: tls.ConnectionOptions): Promise<string> {
  let buf = "";
  const waitFor = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (re.test(buf)) {
          sock.off("data", onData);
          resolve();
        }
      };
      const onData = (d: Buffer) => {
        buf += d.toString("latin1");
        check();
      };
      sock.on("data", onData);
      sock.once("close", () => reject(new Error("closed")));
      check();
    });
  await waitFor(/^220 .*\r\n/);
  buf = "";
  sock.write("EHLO client.test\r\n");
  await waitFor(/^250 .*\r\n/m);
  buf = "";
  sock.write("STARTTLS\r\n");
  await waitFor(/^220 .*\r\n/);
  try {
    return await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ socket: sock, rejectUnauthorized: false, ...opts }, () => {
        resolve(s.getProtocol() ?? "unknown");
        s.destroy();
      });
      s.once("error", reject);
      s.once("close", () => reject(new Error("closed during handshake")));
    });
  } finally {
    sock.destroy();
  }
}
