// clamd INSTREAM: framing, reply parsing, name sanitising, and the handler against fake
// TCP servers (refused, hanging, answering early with the size limit) and a unix socket.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clamav } from "../../handlers/clamav.ts";
import { instreamFrames, parseClamdReply, sanitizeVirusName } from "../../src/trust/clamd-client.ts";
import { freePort, runData, scannerConfig, testMessage } from "../helpers/clamd.ts";

const config = scannerConfig();

describe("protocol", () => {
  test("frames: 4-byte big-endian lengths, chunks as views, a zero-length end", () => {
    const frames = [...instreamFrames(new Uint8Array([1, 2, 3, 4, 5]), 2)].map((f) => [...f]);
    expect(frames).toEqual([[0, 0, 0, 2], [1, 2], [0, 0, 0, 2], [3, 4], [0, 0, 0, 1], [5], [0, 0, 0, 0]]);
    expect([...instreamFrames(new Uint8Array(0))].map((f) => [...f])).toEqual([[0, 0, 0, 0]]);
  });
  test.each([
    ["stream: OK\0", { kind: "clean" }],
    ["stream: Eicar-Test-Signature FOUND\0", { kind: "infected", name: "Eicar-Test-Signature" }],
    ["stream: Evil Name\r\n550 x FOUND\0", { kind: "infected", name: "Evil_Name__550_x" }],
    ["INSTREAM size limit exceeded. ERROR\0", { kind: "too-large" }],
    ["stream: Can't allocate memory ERROR\0", { kind: "error", text: "stream: Can't allocate memory ERROR" }],
    ["PONG\0", { kind: "error", text: 'unexpected reply "PONG"' }],
  ])("%j", (raw, want) => expect(parseClamdReply(raw)).toEqual(want as never));
  test("virus names are capped and never empty", () => {
    expect(sanitizeVirusName("x".repeat(300)).length).toBe(100);
    expect(sanitizeVirusName("")).toBe("unknown");
  });
});

/** A fake clamd: `answer(received)` decides when/what to reply; records what it received. */
async function fakeClamd(answer: (got: Buffer) => string | null, path?: string) {
  const got = { bytes: Buffer.alloc(0) };
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on("data", (d: Buffer) => {
      got.bytes = Buffer.concat([got.bytes, d]);
      const a = answer(got.bytes);
      if (a !== null) s.end(a);
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => (path ? srv.listen(path, r) : srv.listen(0, "127.0.0.1", r)));
  const port = path ? 0 : (srv.address() as net.AddressInfo).port;
  return { port, got, stop: () => { for (const s of sockets) s.destroy(); srv.close(); } };
}
const endsStream = (b: Buffer) => b.length >= 14 && b.subarray(-4).equals(Buffer.alloc(4));

describe("handler against fake servers", () => {
  const stops: (() => void)[] = [];
  afterAll(() => stops.forEach((s) => s()));

  test("options need a host or a socket; errors name the handler", () => {
    expect(() => clamav({}, config)).toThrow(/clamav handler.*host/);
  });
  test("infected → 554 5.7.1 naming the (sanitised) virus; the stream is well formed", async () => {
    const f = await fakeClamd((b) => (endsStream(b) ? "stream: Bad\tName FOUND\0" : null));
    stops.push(f.stop);
    const msg = testMessage("payload");
    const { verdict, results } = await runData(clamav({ host: "127.0.0.1", port: f.port, chunkBytes: 16 }, config), msg);
    expect(verdict).toEqual({ kind: "reject", reply: { code: 554, enhanced: "5.7.1", text: "message contains a virus: Bad_Name" } });
    expect(results.get("clamav")).toEqual({ kind: "infected", name: "Bad_Name" });
    expect(f.got.bytes.subarray(0, 10).toString("latin1")).toBe("zINSTREAM\0");
    // Reassemble the chunks: they give back the message exactly.
    const parts: Buffer[] = [];
    for (let o = 10; ; ) {
      const n = f.got.bytes.readUInt32BE(o);
      if (n === 0) break;
      expect(n).toBeLessThanOrEqual(16);
      parts.push(f.got.bytes.subarray(o + 4, o + 4 + n));
      o += 4 + n;
    }
    expect(Buffer.concat(parts).equals(Buffer.from(msg))).toBe(true);
  });
  test("over unix socket: clean → continue, noted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hikyaku-clamd-sock-"));
    const f = await fakeClamd((b) => (endsStream(b) ? "stream: OK\0" : null), join(dir, "clamd.sock"));
    try {
      expect((await runData(clamav({ socket: join(dir, "clamd.sock") }, config), testMessage("x"))).verdict).toEqual({ kind: "continue", note: "clamav: clean" });
    } finally {
      f.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test("clamd's size limit, answered mid-stream: skip by default, tempfail when configured", async () => {
    const f = await fakeClamd((b) => (b.length > 100 ? "INSTREAM size limit exceeded. ERROR\0" : null));
    stops.push(f.stop);
    const msg = testMessage("z".repeat(200_000));
    expect((await runData(clamav({ host: "127.0.0.1", port: f.port }, config), msg)).verdict).toEqual({ kind: "continue", note: "clamav: skipped, over clamd's StreamMaxLength" });
    expect((await runData(clamav({ host: "127.0.0.1", port: f.port, oversize: "tempfail" }, config), msg)).verdict).toMatchObject({ kind: "tempfail", reply: { code: 451, enhanced: "4.3.4" } });
  });
  test("over our maxBytes: nothing is sent", async () => {
    const f = await fakeClamd(() => "stream: OK\0");
    stops.push(f.stop);
    const big = testMessage("q".repeat(2000));
    expect((await runData(clamav({ host: "127.0.0.1", port: f.port, maxBytes: 1024 }, config), big)).verdict).toEqual({ kind: "continue", note: `clamav: skipped, ${big.length} bytes > maxBytes 1024` });
    expect(f.got.bytes.length).toBe(0);
  });
  test("clamd down: 451 4.3.0 by default, accepted unscanned when configured", async () => {
    const port = await freePort();
    expect((await runData(clamav({ host: "127.0.0.1", port }, config), testMessage("x"))).verdict).toMatchObject({ kind: "tempfail", reply: { code: 451, enhanced: "4.3.0" } });
    expect((await runData(clamav({ host: "127.0.0.1", port, onError: "accept" }, config), testMessage("x"))).verdict).toEqual({ kind: "continue", note: "clamav: not scanned (ECONNREFUSED); accepted per onError" });
  });
  test("clamd that accepts and never answers: our timeout → tempfail", async () => {
    const f = await fakeClamd(() => null);
    stops.push(f.stop);
    expect((await runData(clamav({ host: "127.0.0.1", port: f.port, timeoutMs: 200 }, config), testMessage("x"))).verdict).toMatchObject({ kind: "tempfail", reply: { code: 451 } });
  });
});
