// A 50 MiB RETR (RFC 1939 §7): the encoder/writer waits for the transport before producing
// more (backpressure), and against the real server process a client that stalls mid-message
// leaves the server near one copy of the message, not the whole encoded response queued;
// then the transfer completes byte-exact (CRLF everywhere, dot-stuffed).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/db/client.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { SLICE_BYTES, sendMessage } from "../../src/pop3/retrieve.ts";
import { spawnServer, type SpawnedServer } from "../helpers/spawn.ts";
import { RawPop3, deliver } from "../protocol/pop3/raw-pop3.ts";

const MIB = 1024 * 1024;
const SIZE = 50 * MIB;
const LINE = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01234567\r\n";

describe("sendMessage", () => {
  test("produces the next slice only after the previous write resolved", async () => {
    const raw = new TextEncoder().encode(`Subject: x\r\n\r\n${LINE.repeat(Math.ceil((4 * MIB) / LINE.length))}`);
    const writes: number[] = [];
    let release: (() => void) | null = null;
    const sink = (b: Uint8Array) => {
      writes.push(b.length);
      return new Promise<void>((r) => (release = r));
    };
    async function* chunks() {
      yield raw;
    }
    const sending = sendMessage(sink, new TextEncoder().encode("+OK\r\n"), chunks());
    let total = 0;
    for (let i = 0; i < 1000 && total < raw.length; i++) {
      await Bun.sleep(0);
      // One outstanding write at a time, each about one slice.
      expect(writes.length).toBe(i + 1);
      expect(writes[i]).toBeLessThanOrEqual(2 * SLICE_BYTES + 8);
      total += writes[i];
      const r = release!;
      release = null;
      r();
    }
    await sending;
    expect(writes.reduce((a, b) => a + b, 0)).toBe(5 + raw.length + 3);
  });
});

describe("against the server process", () => {
  let dir: string;
  let server: SpawnedServer;
  let expectedWire: string;
  let expectedSize: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hikyaku-pop3-large-"));
    const dataDir = join(dir, "data");
    const db = await openDb({ url: `file:${join(dataDir, "hikyaku.db")}` });
    await addDomain(db, "example.test");
    await addAccount(db, "alice@example.test", "alice-pw");
    // Every 1000th line starts with a dot and some end in a bare LF: the encoder has work to do.
    const parts = ["Subject: fifty mebibytes\r\n\r\n"];
    let n = parts[0].length;
    for (let i = 1; n < SIZE; i++) {
      const l = i % 1000 === 0 ? "." + LINE : i % 777 === 0 ? LINE.replace("\r\n", "\n") : LINE;
      parts.push(l);
      n += l.length;
    }
    const stored = parts.join("");
    await deliver(db, "alice@example.test", new TextEncoder().encode(stored));
    await db.close();
    const normalised = stored.replace(/\r?\n/g, "\r\n");
    expectedSize = normalised.length;
    expectedWire = `+OK ${expectedSize} octets\r\n${normalised.replace(/^\./gm, "..")}.\r\n`;
    const cfg = join(dir, "hikyaku.config.ts");
    writeFileSync(
      cfg,
      `export default ${JSON.stringify({ hostname: "mx.example.test", listeners: [{ role: "pop3", port: 0, tls: "none" }], auth: { allowPlaintextOnLoopback: true }, log: { level: "warn" } })};\n`,
    );
    server = await spawnServer({ HIKYAKU_CONFIG: cfg, HIKYAKU_DATA: dataDir });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function statusOf(pid: number, field: "VmRSS" | "VmHWM"): number {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return Number(m?.[1] ?? 0) * 1024;
  }

  test("a 50 MiB RETR to a stalling client: bounded server memory, then every byte right", async () => {
    const before = statusOf(server.pid, "VmRSS");
    const c = await RawPop3.login(server.ports.pop3);
    expect(await c.cmd("LIST 1")).toBe(`+OK 1 ${expectedSize}`);
    const sock = c.socket;
    sock.removeAllListeners("data");
    const hash = createHash("sha256");
    let received = 0;
    let tail = "";
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    let finished = false;
    sock.on("data", (d: string) => {
      if (finished) return;
      hash.update(d, "latin1");
      received += d.length;
      tail = (tail + d).slice(-5);
      if (tail === "\r\n.\r\n") {
        finished = true;
        resolveDone();
      }
    });
    c.send("RETR 1\r\n");
    // Read a little, then stop reading for a second while the server still has ~50 MiB to send.
    await Bun.sleep(150);
    sock.pause();
    await Bun.sleep(300);
    const stalledAt = received;
    // Steady state while stalled: the lowest of several samples, so a garbage collection that
    // happens to be pending at one instant does not count as memory the server holds.
    const samples: number[] = [];
    for (let i = 0; i < 7; i++) {
      await Bun.sleep(100);
      samples.push(statusOf(server.pid, "VmRSS"));
    }
    const stalled = Math.min(...samples);
    expect(received).toBe(stalledAt);
    expect(received).toBeLessThan(SIZE / 2);
    sock.resume();
    await Promise.race([done, Bun.sleep(60_000)]);
    const peak = statusOf(server.pid, "VmHWM");
    const mib = (x: number) => `${(x / MIB).toFixed(0)} MiB`;
    console.log(`pop3 50 MiB RETR: server RSS ${mib(before)} idle, +${mib(stalled - before)} with the client stalled at ${mib(stalledAt)}, lifetime peak ${mib(peak)}`);
    expect(received).toBe(expectedWire.length);
    expect(hash.digest("hex")).toBe(createHash("sha256").update(expectedWire, "latin1").digest("hex"));
    // Not the encoded response on top of the message: at most one message's worth (read
    // slices not yet collected) while the client does not read.
    expect(stalled - before).toBeLessThan(1.5 * SIZE);
    c.send("QUIT\r\n");
    await c.waitClosed();
  }, 120_000);
});
