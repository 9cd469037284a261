// Outbound delivery through the whole server: submission → queue → worker → MX found in a
// real DNS server (Knot, loopback) → Postfix's smtp-sink as the receiving MTA, with its
// soft/hard bounce and disconnect switches; null MX via DNS; DSNs into the sender's INBOX.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as net from "node:net";
import nodemailer from "nodemailer";
import { knot, startDnsServer, type DnsServer } from "../helpers/dns-server.ts";
import { findBinary, inboxBodies, requireTools, waitFor } from "../helpers/debian.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { listQueue } from "../../src/store/queue.ts";

const sinkTool = requireTools("outbound (smtp-sink)", ["smtp-sink"], "apt-get install postfix");
const skip = knot.skip || sinkTool.skip;

type Sink = { proc: ReturnType<typeof Bun.spawn>; dir: string };

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function startSink(host: string, port: number, flags: string[], dumpDir: string): Promise<Sink> {
  // -u nobody: smtp-sink drops root; -d dumps each transaction (envelope + data) to a file.
  const proc = Bun.spawn([findBinary("smtp-sink")!, "-u", "nobody", "-h", `sink-${host}`, "-d", `${dumpDir}/%H%M%S.`, ...flags, `${host}:${port}`, "64"], { stdout: "ignore", stderr: "pipe" });
  // Wait (bounded) until it accepts connections.
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect({ host, port }, () => (c.destroy(), r(true)));
      c.once("error", () => r(false));
    });
    if (ok) break;
    await Bun.sleep(20);
  }
  return { proc, dir: dumpDir };
}

function dumps(dir: string): string[] {
  try {
    return readdirSync(dir).map((f) => readFileSync(join(dir, f), "latin1"));
  } catch {
    return [];
  }
}

describe.skipIf(skip)("outbound delivery to smtp-sink via Knot DNS", () => {
  let dns: DnsServer;
  let ts: TestServer;
  const sinks: Sink[] = [];
  const base = mkdtempSync(join(tmpdir(), "hikyaku-outbound-"));
  // smtp-sink runs as nobody (-u) and must create its dump files here.
  chmodSync(base, 0o777);
  const dir = (n: string) => join(base, n);
  let port = 0;

  beforeAll(async () => {
    port = await freePort("127.0.0.3");
    // 127.0.0.3 accepts; .4 soft-bounces RCPT; .5 hard-rejects the end of data; .6 drops after the dot.
    sinks.push(await startSink("127.0.0.3", port, [], dir("ok")));
    sinks.push(await startSink("127.0.0.4", port, ["-r", "RCPT"], dir("soft")));
    sinks.push(await startSink("127.0.0.5", port, ["-f", "."], dir("hard")));
    sinks.push(await startSink("127.0.0.6", port, ["-q", "."], dir("drop")));
    const zone = (ip: string) => [
      { name: "@", type: "MX" as const, value: "10 mx" },
      { name: "mx", type: "A" as const, value: ip },
    ];
    dns = await startDnsServer({
      zones: {
        "other.test": zone("127.0.0.3"),
        "soft.test": zone("127.0.0.4"),
        "hard.test": zone("127.0.0.5"),
        "drop.test": zone("127.0.0.6"),
        "nullmx.test": [{ name: "@", type: "MX", value: "0 ." }],
      },
    });
    ts = await startTestServer({
      dns: { servers: [dns.address], timeoutMs: 1000, tries: 2 },
      delivery: { enabled: true, pollMs: 50, port, tls: { mtaSts: false }, timeouts: { connectMs: 2000, greetingMs: 2000, commandMs: 2000, dataDoneMs: 2000 } },
    });
  });

  afterAll(async () => {
    await ts?.stop();
    await dns?.stop();
    for (const s of sinks) {
      s.proc.kill("SIGTERM");
      await Promise.race([s.proc.exited, Bun.sleep(3000)]);
      if (s.proc.exitCode === null) s.proc.kill(9);
    }
    rmSync(base, { recursive: true, force: true });
  });

  async function submit(to: string, subject: string, text = "Hello.\n.\nA dot line above.\n"): Promise<void> {
    const t = nodemailer.createTransport({ host: "127.0.0.1", port: ts.port("submission"), secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: "alice@example.test", pass: "alice-pw" } });
    await t.sendMail({ from: "alice@example.test", to, subject, text });
    t.close();
  }

  async function states(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const e of await listQueue(ts.server.db)) for (const r of e.recipients) out[r.address] = r.state;
    return out;
  }

  test("delivered to smtp-sink: the MX from DNS, our EHLO name, the body intact", async () => {
    await submit("bob@other.test", "to the sink");
    const s = await waitFor(states, (x) => x["bob@other.test"] === "delivered");
    expect(s["bob@other.test"]).toBe("delivered");
    const d = dumps(dir("ok"));
    expect(d.length).toBe(1);
    expect(d[0]).toContain("X-Helo-Args: mx.example.test\n");
    expect(d[0]).toContain("X-Mail-Args: <alice@example.test>");
    expect(d[0]).toContain("X-Rcpt-Args: <bob@other.test>");
    expect(d[0]).toContain("Subject: to the sink");
    expect(d[0]).toContain("\n.\nA dot line above."); // un-stuffed by the receiver
  });

  test("soft bounce at RCPT: deferred; hard reject after the dot: failed with one DSN to the sender", async () => {
    const before = (await inboxBodies(ts.server.db, "alice@example.test")).length;
    await submit("x@soft.test", "soft");
    await submit("y@hard.test", "hard");
    const s = await waitFor(states, (x) => x["x@soft.test"] === "deferred" && x["y@hard.test"] === "failed");
    expect([s["x@soft.test"], s["y@hard.test"]]).toEqual(["deferred", "failed"]);
    const inbox = await waitFor(() => inboxBodies(ts.server.db, "alice@example.test"), (x) => x.length > before);
    const dsns = inbox.slice(before);
    expect(dsns.length).toBe(1);
    expect(dsns[0]).toContain("Final-Recipient: rfc822;y@hard.test");
    expect(dsns[0]).not.toContain("x@soft.test");
  });

  test("disconnect after the final dot: deferred, not delivered", async () => {
    await submit("z@drop.test", "drop");
    const s = await waitFor(states, (x) => x["z@drop.test"] === "deferred");
    expect(s["z@drop.test"]).toBe("deferred");
  });

  test("null MX from DNS: failed 5.1.10 and a DSN in the sender's INBOX", async () => {
    const before = (await inboxBodies(ts.server.db, "alice@example.test")).length;
    await submit("n@nullmx.test", "null mx");
    const s = await waitFor(states, (x) => x["n@nullmx.test"] === "failed");
    expect(s["n@nullmx.test"]).toBe("failed");
    const inbox = await waitFor(() => inboxBodies(ts.server.db, "alice@example.test"), (x) => x.length > before);
    expect(inbox.slice(before).length).toBe(1);
    expect(inbox.at(-1)).toContain("Status: 5.1.10");
  });
});
