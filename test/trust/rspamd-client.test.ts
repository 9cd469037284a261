// rspamd: request headers, /checkv2 reply parsing, the shared action table (spam-action.ts),
// and the handler against fake HTTP servers on loopback (refused, hanging, oversized).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as net from "node:net";
import { rspamd } from "../../handlers/rspamd.ts";
import { parseRspamdReply, rspamdHeaders } from "../../src/trust/rspamd-client.ts";
import { spamVerdict, type SpamResult } from "../../src/trust/spam-action.ts";
import { freePort, runData, scannerConfig, testMessage } from "../helpers/clamd.ts";

const config = scannerConfig();
const base = { scanner: "rspamd", score: 0, required: 15, symbols: ["A_SYM", "B_SYM"] } as const;
const defaults = { actions: { "no action": "pass", greylist: "tempfail", "add header": "junk", "rewrite subject": "junk", "soft reject": "tempfail", reject: "reject", quarantine: "junk", discard: "discard" }, headers: "flagged", removeForged: true } as const;

describe("request headers", () => {
  test("envelope fields, one Rcpt per recipient, no CR/LF can pass", () => {
    const h = rspamdHeaders({ ip: "192.0.2.1", helo: "evil\r\nX-Injected: 1", from: "", rcpts: ["a@x.test", "b@x.test"], user: "alice@example.test", queueId: "q1", mtaName: "mx.test", tls: { version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256" } });
    expect(h).toEqual([
      ["IP", "192.0.2.1"],
      ["Helo", "evilX-Injected: 1"],
      ["From", "<>"],
      ["Rcpt", "a@x.test"],
      ["Rcpt", "b@x.test"],
      ["User", "alice@example.test"],
      ["Queue-Id", "q1"],
      ["MTA-Name", "mx.test"],
      ["TLS-Version", "TLSv1.3"],
      ["TLS-Cipher", "TLS_AES_128_GCM_SHA256"],
    ]);
  });
});

describe("reply parsing", () => {
  test("score, action, symbols sorted, subject, smtp_message, milter edits", () => {
    const r = parseRspamdReply({
      score: 7.5, required_score: 15, action: "rewrite subject", subject: "*** SPAM *** hi\r\nBcc: x",
      symbols: { Z_SYM: { score: 1 }, "A SYM": { score: 2 } }, messages: { smtp_message: "go away" },
      milter: { add_headers: { "X-Spamd-Bar": { value: "+++", order: 0 }, "X-Two": ["a", { value: "b" }], "Bad Name": "x" }, remove_headers: { "X-Old": 1 } },
    });
    expect(r).toMatchObject({ score: 7.5, required: 15, action: "rewrite subject", symbols: ["A_SYM", "Z_SYM"], subject: "*** SPAM *** hi Bcc: x", smtpMessage: "go away" });
    expect(r.edits).toEqual({ add: [{ name: "X-Spamd-Bar", value: "+++" }, { name: "X-Two", value: "a" }, { name: "X-Two", value: "b" }], remove: [{ name: "X-Old" }] });
  });
  test("an unknown action or a malformed reply throws", () => {
    expect(() => parseRspamdReply({ score: 1, required_score: 15, action: "launch missiles" })).toThrow(/unknown action/);
    expect(() => parseRspamdReply({ score: "1", required_score: 15, action: "reject" })).toThrow();
    expect(() => parseRspamdReply(null)).toThrow();
  });
});

describe("action table", () => {
  const cases: [SpamResult["action"], string, number | null][] = [
    ["no action", "continue", null],
    ["greylist", "tempfail", 451],
    ["add header", "quarantine", null],
    ["rewrite subject", "quarantine", null],
    ["soft reject", "tempfail", 451],
    ["reject", "reject", 550],
    ["discard", "discard", null],
  ];
  test.each(cases)("%s → %s", (action, kind, code) => {
    const v = spamVerdict({ ...base, action }, defaults);
    expect(v.kind).toBe(kind as never);
    if ("reply" in v && v.reply) expect(v.reply.code).toBe(code!);
    if (v.kind === "reject") expect(v.reply.enhanced).toBe("5.7.1");
  });
  test("tag keeps the message in INBOX with X-Spam-* fields and the rewritten subject", () => {
    const v = spamVerdict({ ...base, score: 7, action: "rewrite subject", subject: "[SPAM] hi" }, { ...defaults, headers: "never", actions: { ...defaults.actions, "rewrite subject": "tag" } });
    expect(v.kind).toBe("continue");
    const h = "headers" in v ? v.headers! : {};
    expect(h.add).toContainEqual({ name: "X-Spam-Flag", value: "YES" });
    expect(h.add).toContainEqual({ name: "Subject", value: "[SPAM] hi" });
    expect(h.remove).toContainEqual({ name: "Subject" });
  });
  test("flagged mode: clean mail gets no fields but forged ones are still removed", () => {
    const v = spamVerdict({ ...base, action: "no action" }, defaults);
    expect(v).toMatchObject({ kind: "continue", note: "rspamd: no action score=0.00/15.00 symbols=A_SYM,B_SYM" });
    const h = "headers" in v ? v.headers! : {};
    expect(h.add ?? []).toEqual([]);
    expect(h.remove).toContainEqual({ name: "X-Spam-Flag" });
    expect(h.remove).toContainEqual({ name: "X-Spam-Status" });
  });
  test("always mode stamps clean mail with X-Spam-Flag: NO", () => {
    const v = spamVerdict({ ...base, action: "no action" }, { ...defaults, headers: "always" });
    expect(("headers" in v && v.headers?.add) || []).toContainEqual({ name: "X-Spam-Flag", value: "NO" });
  });
});

/** A fake rspamd: answers `reply` and records the body it got, or never answers (`hang`). */
function fakeRspamd(mode: { reply?: object; hang?: boolean }) {
  const got: { body?: Uint8Array; headers?: Headers } = {};
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      got.headers = req.headers;
      got.body = new Uint8Array(await req.arrayBuffer());
      if (mode.hang) await new Promise(() => {});
      return Response.json(mode.reply);
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, got, stop: () => server.stop(true) };
}

describe("handler against fake servers", () => {
  const junk = fakeRspamd({ reply: { score: 8, required_score: 15, action: "add header", symbols: { HIKYAKU_TEST_JUNK: {} } } });
  const hang = fakeRspamd({ hang: true });
  let refusedUrl = "";
  beforeAll(async () => {
    refusedUrl = `http://127.0.0.1:${await freePort()}`;
  });
  afterAll(() => {
    junk.stop();
    hang.stop();
  });

  test("options are validated, naming the handler", () => {
    expect(() => rspamd({}, config)).toThrow(/rspamd handler/);
    expect(() => rspamd({ url: "http://x", onError: "shrug" }, config)).toThrow(/rspamd handler/);
  });
  test("add header → Junk with X-Spam fields; result stored under the handler name", async () => {
    const { verdict, results } = await runData(rspamd({ url: junk.url }, config), testMessage("hello"));
    expect(verdict).toMatchObject({ kind: "quarantine", reason: "rspamd: add header score=8.00/15.00 symbols=HIKYAKU_TEST_JUNK" });
    expect((results.get("rspamd") as SpamResult).action).toBe("add header");
    expect(junk.got.headers?.get("rcpt")).toBe("alice@example.test, bob@example.test");
    expect(junk.got.headers?.get("ip")).toBe("192.0.2.25");
  });
  test("clients in trusted networks are not scanned (unless scanTrusted)", async () => {
    const trustedCfg = scannerConfig(["192.0.2.0/24"]);
    expect((await runData(rspamd({ url: refusedUrl }, trustedCfg), testMessage("x"), { config: trustedCfg })).verdict).toMatchObject({ kind: "continue", note: "rspamd: skipped, trusted network" });
    expect((await runData(rspamd({ url: refusedUrl, scanTrusted: true }, trustedCfg), testMessage("x"), { config: trustedCfg })).verdict.kind).toBe("tempfail");
  });
  test("rspamd down: 451 4.3.0 by default, unscanned pass with onError accept", async () => {
    expect((await runData(rspamd({ url: refusedUrl }, config), testMessage("x"))).verdict).toMatchObject({ kind: "tempfail", reply: { code: 451, enhanced: "4.3.0" } });
    const { verdict } = await runData(rspamd({ url: refusedUrl, onError: "accept" }, config), testMessage("x"));
    expect(verdict.kind).toBe("continue");
    expect("note" in verdict && verdict.note).toMatch(/^rspamd: not scanned/);
  });
  test("rspamd that never answers: our own timeout → tempfail (or accept)", async () => {
    expect((await runData(rspamd({ url: hang.url, timeoutMs: 200 }, config), testMessage("x"))).verdict).toMatchObject({ kind: "tempfail", reply: { code: 451 } });
    const { verdict } = await runData(rspamd({ url: hang.url, timeoutMs: 200, onError: "accept" }, config), testMessage("x"));
    expect("note" in verdict && verdict.note).toBe("rspamd: not scanned (timed out); accepted per onError");
  });
  test("oversized: skipped with a note (nothing sent), or truncated to maxBytes", async () => {
    junk.got.body = undefined;
    const big = testMessage("x".repeat(5000));
    const skipped = await runData(rspamd({ url: junk.url, maxBytes: 1024 }, config), big);
    expect(skipped.verdict).toMatchObject({ kind: "continue", note: `rspamd: skipped, ${big.length} bytes > maxBytes 1024` });
    expect(junk.got.body).toBeUndefined();
    await runData(rspamd({ url: junk.url, maxBytes: 1024, oversize: "truncate" }, config), big);
    expect((junk.got.body as Uint8Array | undefined)?.length).toBe(1024);
  });
});

describe("handler against a server that is not HTTP", () => {
  test("garbage reply → tempfail", async () => {
    const srv = net.createServer((s) => s.end("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nnope!"));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`;
    try {
      expect((await runData(rspamd({ url }, config), testMessage("x"))).verdict.kind).toBe("tempfail");
    } finally {
      srv.close();
    }
  });
});
