// spamd (SPAMC/1.5): request head, response parsing, score → action, and the handler
// against fake TCP servers on loopback (refused, hanging, error status, oversized).

import { afterAll, describe, expect, test } from "bun:test";
import * as net from "node:net";
import { spamassassin } from "../../handlers/spamassassin.ts";
import { parseSpamdResponse, spamdRequestHead, spamdResult } from "../../src/trust/spamd-client.ts";
import type { SpamAction } from "../../src/trust/spam-action.ts";
import { freePort, runData, scannerConfig, testMessage } from "../helpers/clamd.ts";

const config = scannerConfig();

describe("protocol", () => {
  test("request head as spamc writes it", () => {
    expect(spamdRequestHead("SYMBOLS", 42)).toBe("SYMBOLS SPAMC/1.5\r\nContent-length: 42\r\n\r\n");
    expect(spamdRequestHead("SYMBOLS", 1, "bob\r\nX: y")).toBe("SYMBOLS SPAMC/1.5\r\nContent-length: 1\r\nUser: bobX:y\r\n\r\n");
  });
  test("a SYMBOLS response", () => {
    const r = parseSpamdResponse("SPAMD/1.1 0 EX_OK\r\nContent-length: 20\r\nSpam: True ; 23.3 / 5.0\r\n\r\nHIKYAKU_TEST,NO_DATE");
    expect(r).toEqual({ code: 0, status: "EX_OK", spam: { isSpam: true, score: 23.3, threshold: 5 }, body: "HIKYAKU_TEST,NO_DATE" });
  });
  test("an error status line and garbage", () => {
    expect(parseSpamdResponse("SPAMD/1.0 76 Bad header line: X\r\n")).toMatchObject({ code: 76, spam: null });
    expect(() => parseSpamdResponse("HTTP/1.1 200 OK\r\n\r\n")).toThrow(/not a spamd response/);
    expect(() => spamdResult(parseSpamdResponse("SPAMD/1.0 76 Bad header line: X\r\n"), 15)).toThrow(/spamd error 76/);
  });
  const cases: [string, number | null, SpamAction][] = [
    ["False ; -1.2 / 5.0", 15, "no action"],
    ["True ; 6.0 / 5.0", 15, "add header"],
    ["True ; 15.0 / 5.0", 15, "reject"],
    ["True ; 1000.0 / 5.0", null, "add header"],
  ];
  test.each(cases)("Spam: %s (rejectScore %p) → %s", (line, rejectScore, action) => {
    expect(spamdResult(parseSpamdResponse(`SPAMD/1.1 0 EX_OK\r\nSpam: ${line}\r\n\r\n`), rejectScore).action).toBe(action);
  });
});

/** A fake spamd: reads the request, answers `reply` (or never, with `hang`), records what it got. */
async function fakeSpamd(mode: { reply?: string; hang?: boolean }) {
  const got: { request: string } = { request: "" };
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.setEncoding("latin1");
    s.on("data", (d: string) => (got.request += d));
    s.on("end", () => {
      if (!mode.hang) s.end(mode.reply ?? "");
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  return { port, got, stop: () => { for (const s of sockets) s.destroy(); srv.close(); } };
}

describe("handler against fake servers", () => {
  const stops: (() => void)[] = [];
  afterAll(() => stops.forEach((s) => s()));

  test("options need a host or a socket; errors name the handler", () => {
    expect(() => spamassassin({}, config)).toThrow(/spamassassin handler.*host/);
    expect(() => spamassassin({ host: "127.0.0.1", port: 0 }, config)).toThrow(/spamassassin handler/);
  });
  test("spam by threshold → Junk; the request carries Content-length and the message", async () => {
    const f = await fakeSpamd({ reply: "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 7.5 / 5.0\r\n\r\nFOO,BAR" });
    stops.push(f.stop);
    const msg = testMessage("hello");
    const { verdict, results } = await runData(spamassassin({ host: "127.0.0.1", port: f.port, user: "alice" }, config), msg);
    expect(verdict).toMatchObject({ kind: "quarantine", reason: "spamassassin: add header score=7.50/5.00 symbols=BAR,FOO" });
    expect(results.get("spamassassin")).toMatchObject({ score: 7.5, action: "add header" });
    expect(f.got.request).toBe(`SYMBOLS SPAMC/1.5\r\nContent-length: ${msg.length}\r\nUser: alice\r\n\r\n${new TextDecoder().decode(msg)}`);
  });
  test("an error status from spamd → tempfail", async () => {
    const f = await fakeSpamd({ reply: "SPAMD/1.0 74 EX_IOERR\r\n" });
    stops.push(f.stop);
    expect((await runData(spamassassin({ host: "127.0.0.1", port: f.port }, config), testMessage("x"))).verdict).toMatchObject({ kind: "tempfail", reply: { code: 451, enhanced: "4.3.0" } });
  });
  test("spamd down: tempfail by default, accept when configured", async () => {
    const port = await freePort();
    expect((await runData(spamassassin({ host: "127.0.0.1", port }, config), testMessage("x"))).verdict.kind).toBe("tempfail");
    const { verdict } = await runData(spamassassin({ host: "127.0.0.1", port, onError: "accept" }, config), testMessage("x"));
    expect("note" in verdict && verdict.note).toMatch(/^spamassassin: not scanned \(ECONNREFUSED\)/);
  });
  test("spamd that accepts and never answers: our timeout → tempfail", async () => {
    const f = await fakeSpamd({ hang: true });
    stops.push(f.stop);
    expect((await runData(spamassassin({ host: "127.0.0.1", port: f.port, timeoutMs: 200 }, config), testMessage("x"))).verdict).toMatchObject({ kind: "tempfail", reply: { code: 451 } });
  });
  test("oversized → skipped with a note, spamd never asked; forged X-Spam fields still removed", async () => {
    const f = await fakeSpamd({ reply: "SPAMD/1.1 0 EX_OK\r\nSpam: False ; 0.0 / 5.0\r\n\r\n" });
    stops.push(f.stop);
    const big = testMessage("y".repeat(3000));
    const { verdict } = await runData(spamassassin({ host: "127.0.0.1", port: f.port, maxBytes: 1024 }, config), big);
    expect(verdict).toMatchObject({ kind: "continue", note: `spamassassin: skipped, ${big.length} bytes > maxBytes 1024` });
    expect("headers" in verdict && verdict.headers?.remove).toContainEqual({ name: "X-Spam-Status" });
    expect(f.got.request).toBe("");
    await runData(spamassassin({ host: "127.0.0.1", port: f.port, maxBytes: 1024, oversize: "truncate" }, config), big);
    expect(f.got.request).toStartWith("SYMBOLS SPAMC/1.5\r\nContent-length: 1024\r\n");
  });
});
