// Real peer: a private Postfix instance on loopback (own config, queue and data directories
// under a temp dir) relays mail for example.test to us, over LMTP in one suite and over SMTP
// (with opportunistic STARTTLS) in the other. Needs root, the postfix user and postdrop group.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { inboxBodies, requireTools, run, waitFor } from "../helpers/debian.ts";
import { postfixMasterCf } from "../helpers/postfix-master.ts";

const tools = requireTools("Postfix peer tests", ["postfix", "sendmail", "postconf"], "apt-get install postfix; bash .ci/run installs it");
const isRoot = process.getuid?.() === 0;
if (!isRoot && !tools.skip) console.warn("skipping Postfix peer tests: they need root to start a Postfix instance");
const skip = tools.skip || !isRoot;

const DELIVERY_TIMEOUT_MS = 30_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}


class PostfixInstance {
  readonly dir: string;
  readonly etc: string;
  readonly hostname: string;
  port = 0;
  #started = false;

  constructor(readonly transport: string) {
    this.dir = mkdtempSync(join(tmpdir(), "hikyaku-postfix-"));
    // Postfix daemons run as the postfix user and must be able to reach their directories.
    chmodSync(this.dir, 0o755);
    this.etc = join(this.dir, "etc");
    // Unique, and different from our server's name: Postfix's smtp client refuses a peer that
    // greets with its own myhostname ("mail for ... loops back to myself").
    this.hostname = `pf-${process.pid}-${Math.random().toString(36).slice(2, 8)}.test`;
  }

  get maillog(): string {
    const f = join(this.dir, "maillog");
    return existsSync(f) ? readFileSync(f, "utf8") : "(no maillog)";
  }

  async start(extra: Record<string, string> = {}): Promise<void> {
    this.port = await freePort();
    mkdirSync(this.etc);
    mkdirSync(join(this.dir, "queue"));
    // data_directory is left for Postfix to create: it must be owned by mail_owner.
    const main: Record<string, string> = {
      compatibility_level: "3.6",
      queue_directory: join(this.dir, "queue"),
      data_directory: join(this.dir, "data"),
      mail_owner: "postfix",
      setgid_group: "postdrop",
      myhostname: this.hostname,
      mydomain: "test",
      myorigin: "$myhostname",
      mydestination: "",
      inet_interfaces: "loopback-only",
      inet_protocols: "ipv4",
      mynetworks: "127.0.0.0/8",
      relay_domains: "example.test",
      transport_maps: `inline:{ example.test=${this.transport} }`,
      smtpd_relay_restrictions: "permit_mynetworks, reject_unauth_destination",
      alias_maps: "",
      alias_database: "",
      local_recipient_maps: "",
      // No DNS here (DESIGN §11); the transports name literal addresses anyway.
      smtp_dns_support_level: "disabled",
      // Deliver at once, and retry quickly if our side ever answers 4xx.
      queue_run_delay: "1s",
      minimal_backoff_time: "1s",
      maximal_backoff_time: "2s",
      biff: "no",
      maillog_file: join(this.dir, "maillog"),
      maillog_file_prefixes: this.dir,
      ...extra,
    };
    writeFileSync(join(this.etc, "main.cf"), Object.entries(main).map(([k, v]) => `${k} = ${v}\n`).join(""));
    writeFileSync(join(this.etc, "master.cf"), postfixMasterCf(this.port));
    for (const action of ["check", "start"]) {
      const r = await run(tools.bin("postfix"), ["-c", this.etc, action], { timeoutMs: 20_000 });
      if (r.code !== 0 || r.timedOut) {
        throw new Error(`postfix ${action} failed (exit ${r.code}${r.timedOut ? ", timed out" : ""}):\n${r.stderr}\n${this.maillog}`);
      }
      if (action === "start") this.#started = true;
    }
  }

  /** Submits a message with Postfix's own sendmail (postdrop → pickup). */
  async sendmail(from: string, to: string[], message: string) {
    const r = await run(tools.bin("sendmail"), ["-C", this.etc, "-f", from, "-i", "--", ...to], { input: message, timeoutMs: 15_000 });
    if (r.code !== 0 || r.timedOut) throw new Error(`sendmail failed (exit ${r.code}):\n${r.stderr}\n${this.maillog}`);
  }

  #masterPid(): number | null {
    const f = join(this.dir, "queue", "pid", "master.pid");
    if (!existsSync(f)) return null;
    const pid = Number(readFileSync(f, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  async stop(): Promise<void> {
    if (this.#started) {
      const pid = this.#masterPid();
      await run(tools.bin("postfix"), ["-c", this.etc, "stop"], { timeoutMs: 15_000 }).catch(() => null);
      // postfix stop waits for the master; if it is still there, end it by its PID.
      if (pid !== null && alive(pid)) {
        await waitFor(async () => alive(pid), (a) => !a, 5000, 100);
        if (alive(pid)) process.kill(pid, "SIGKILL");
      }
      this.#started = false;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const message = (subject: string, to = "alice@example.test") =>
  `From: Sender <sender@other.test>\nTo: ${to}\nSubject: ${subject}\nMessage-ID: <${subject}@other.test>\n\nrelayed by a real Postfix\n`;

async function waitForInbox(t: TestServer, address: string, subject: string): Promise<string | undefined> {
  const bodies = await waitFor(
    () => inboxBodies(t.server.db, address),
    (b) => b.some((m) => m.includes(`Subject: ${subject}\r\n`)),
    DELIVERY_TIMEOUT_MS,
    200,
  );
  return bodies.find((m) => m.includes(`Subject: ${subject}\r\n`));
}

describe.skipIf(skip)("Postfix relays to us over LMTP", () => {
  let t: TestServer;
  let pf: PostfixInstance;
  beforeAll(async () => {
    t = await startTestServer();
    pf = new PostfixInstance(`lmtp:inet:127.0.0.1:${t.port("lmtp")}`);
    await pf.start();
  }, 30_000);
  afterAll(async () => {
    await pf?.stop();
    await t?.stop();
  }, 30_000);

  test("sendmail -C → pickup → lmtp → alice's INBOX", async () => {
    await pf.sendmail("sender@other.test", ["alice@example.test"], message("pf-lmtp-sendmail"));
    const m = await waitForInbox(t, "alice@example.test", "pf-lmtp-sendmail");
    if (!m) throw new Error(`not delivered in ${DELIVERY_TIMEOUT_MS} ms; Postfix log:\n${pf.maillog}`);
    expect(m.startsWith("Return-Path: <sender@other.test>\r\n")).toBe(true);
    // Our trace header names Postfix's LHLO; Postfix's own Received follows it.
    expect(m).toContain(`Received: from ${pf.hostname} ([127.0.0.1])\r\n\tby mx.example.test (Hikyaku) with LMTP`);
    expect(m).toMatch(new RegExp(`Received: by ${pf.hostname.replace(/\./g, "\\.")} \\(Postfix`));
    expect(m).toContain("\r\n\r\nrelayed by a real Postfix\r\n");
    expect(pf.maillog).toMatch(/to=<alice@example\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=sent \(250 2\.0\.0 <alice@example\.test>/);
  }, 45_000);

  test("SMTP into Postfix, two recipients: one LMTP reply each; an unknown user bounces", async () => {
    const c = await RawSmtp.connect(pf.port);
    try {
      expect((await c.reply(10_000)).code).toBe(220);
      expect((await c.cmd("EHLO client.test")).code).toBe(250);
      expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
      expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
      expect((await c.cmd("RCPT TO:<bob@example.test>")).code).toBe(250);
      expect((await c.cmd("RCPT TO:<nobody@example.test>")).code).toBe(250);
      expect((await c.cmd("DATA")).code).toBe(354);
      const body = message("pf-lmtp-smtp").replace(/\n/g, "\r\n");
      expect((await c.cmd(body + ".", 15_000)).code).toBe(250);
      await c.cmd("QUIT").catch(() => null);
    } finally {
      c.close();
    }
    expect(await waitForInbox(t, "alice@example.test", "pf-lmtp-smtp")).toBeDefined();
    expect(await waitForInbox(t, "bob@example.test", "pf-lmtp-smtp")).toBeDefined();
    // The per-recipient 550 from our LMTP server reaches Postfix, which bounces that one only.
    const log = await waitFor(async () => pf.maillog, (l) => /to=<nobody@example\.test>.*status=bounced/.test(l), 10_000, 200);
    expect(log).toMatch(/to=<nobody@example\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 5\.1\.1/);
  }, 45_000);
});

describe.skipIf(skip)("Postfix relays to us over SMTP (MX port)", () => {
  let t: TestServer;
  let pf: PostfixInstance;
  beforeAll(async () => {
    t = await startTestServer();
    pf = new PostfixInstance(`smtp:[127.0.0.1]:${t.port("mx")}`);
    // Opportunistic STARTTLS, as Postfix is commonly run; our certificate is self-signed.
    await pf.start({ smtp_tls_security_level: "may", smtp_tls_loglevel: "1" });
  }, 30_000);
  afterAll(async () => {
    await pf?.stop();
    await t?.stop();
  }, 30_000);

  test("SMTP into Postfix → smtp client with STARTTLS → alice's INBOX", async () => {
    const c = await RawSmtp.connect(pf.port);
    try {
      expect((await c.reply(10_000)).code).toBe(220);
      expect((await c.cmd("EHLO client.test")).code).toBe(250);
      expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
      expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
      expect((await c.cmd("DATA")).code).toBe(354);
      expect((await c.cmd(message("pf-smtp").replace(/\n/g, "\r\n") + ".", 15_000)).code).toBe(250);
      await c.cmd("QUIT").catch(() => null);
    } finally {
      c.close();
    }
    const m = await waitForInbox(t, "alice@example.test", "pf-smtp");
    if (!m) throw new Error(`not delivered in ${DELIVERY_TIMEOUT_MS} ms; Postfix log:\n${pf.maillog}`);
    expect(m.startsWith("Return-Path: <sender@other.test>\r\n")).toBe(true);
    expect(m).toMatch(new RegExp(`^Return-Path: <sender@other\\.test>\\r\\nReceived: from ${pf.hostname.replace(/\./g, "\\.")} \\(\\[127\\.0\\.0\\.1\\]\\)\\r\\n\\tby mx\\.example\\.test \\(Hikyaku\\) with ESMTPS id \\S+\\r\\n\\t\\(using TLSv1\\.[23] with cipher`));
    expect(m).toContain("Received: from client.test (");
    expect(pf.maillog).toMatch(/Anonymous TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: TLSv1\.[23]|Untrusted TLS connection established to 127\.0\.0\.1/);
    expect(pf.maillog).toMatch(/to=<alice@example\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=sent \(250 2\.0\.0 Ok/);
  }, 45_000);

  test("sendmail -C with an 8-bit body → smtp → alice's INBOX, bytes intact", async () => {
    await pf.sendmail("sender@other.test", ["alice@example.test"], message("pf-smtp-8bit").replace("relayed by a real Postfix", "Grüße über Postfix"));
    const m = await waitForInbox(t, "alice@example.test", "pf-smtp-8bit");
    if (!m) throw new Error(`not delivered in ${DELIVERY_TIMEOUT_MS} ms; Postfix log:\n${pf.maillog}`);
    expect(m).toContain("\r\n\r\nGrüße über Postfix\r\n");
  }, 45_000);
});
