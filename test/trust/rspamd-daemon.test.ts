// The rspamd handler against a real rspamd (Debian package) started from test/helpers/rspamd.ts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rspamd } from "../../handlers/rspamd.ts";
import { rspamdCheck } from "../../src/trust/rspamd-client.ts";
import { runData, scannerConfig, testMessage } from "../helpers/clamd.ts";
import { JUNK_TOKEN, rspamdTool, startRspamd, type Rspamd } from "../helpers/rspamd.ts";
import { GTUBE, SPAM_TOKEN } from "../helpers/spamd.ts";

const config = scannerConfig();

describe.skipIf(rspamdTool.skip)("real rspamd", () => {
  let d: Rspamd;
  beforeAll(async () => {
    d = await startRspamd();
  }, 150_000);
  afterAll(async () => d?.stop());

  test("rspamd reads our envelope headers (IP, Helo, From, each Rcpt, User)", async () => {
    const r = await rspamdCheck(d.url, testMessage("hello"), {
      ip: "192.0.2.25", helo: "client.test", from: "x@client.test", rcpts: ["alice@example.test", "bob@example.test"],
      user: "carol@example.test", queueId: "tx-9", mtaName: "mx.example.test", tls: null,
    }, AbortSignal.timeout(20_000));
    expect(r.action).toBe("no action");
    expect(r.symbols).toContain("HIKYAKU_ENVELOPE");
    const res = await fetch(`${d.url}/checkv2`, { method: "POST", headers: [["IP", "192.0.2.25"], ["Helo", "client.test"], ["From", "x@client.test"], ["Rcpt", "alice@example.test"], ["Rcpt", "bob@example.test"], ["User", "carol@example.test"]], body: testMessage("hello") as Uint8Array<ArrayBuffer> });
    const json = (await res.json()) as { symbols: Record<string, { options?: string[] }> };
    expect(json.symbols.HIKYAKU_ENVELOPE!.options).toEqual(["ip=192.0.2.25", "helo=client.test", "from=x@client.test", "rcpt=alice@example.test", "rcpt=bob@example.test", "user=carol@example.test"]);
  });

  test("the spam token scores 20 → reject → 550 5.7.1", async () => {
    const { verdict, results } = await runData(rspamd({ url: d.url }, config), testMessage(`buy now ${SPAM_TOKEN}`));
    expect(verdict).toMatchObject({ kind: "reject", reply: { code: 550, enhanced: "5.7.1" } });
    expect(results.get("rspamd")).toMatchObject({ action: "reject", score: 20 });
  });

  test("GTUBE is rejected by rspamd's core", async () => {
    const { verdict } = await runData(rspamd({ url: d.url }, config), testMessage(GTUBE));
    expect(verdict).toMatchObject({ kind: "reject", reply: { code: 550 } });
  });

  test("the junk token scores 8 → add header → Junk with X-Spam fields, forged ones removed", async () => {
    const { verdict } = await runData(rspamd({ url: d.url }, config), testMessage(`hi ${JUNK_TOKEN}`, "X-Spam-Flag: NO\r\n"));
    expect(verdict.kind).toBe("quarantine");
    if (verdict.kind !== "quarantine") return;
    expect(verdict.reason).toMatch(/^rspamd: add header score=8\.00\/15\.00 symbols=.*HIKYAKU_TEST_JUNK/);
    expect(verdict.headers?.add).toContainEqual({ name: "X-Spam-Flag", value: "YES" });
    expect(verdict.headers?.remove).toContainEqual({ name: "X-Spam-Flag" });
  });

  test("…or stays in INBOX, tagged, when the action table says so", async () => {
    const { verdict } = await runData(rspamd({ url: d.url, actions: { "add header": "tag" } }, config), testMessage(`hi ${JUNK_TOKEN}`));
    expect(verdict.kind).toBe("continue");
    expect("headers" in verdict && verdict.headers?.add).toContainEqual({ name: "X-Spam-Flag", value: "YES" });
  });

  test("a clean message → continue with the score in the trace note", async () => {
    const { verdict } = await runData(rspamd({ url: d.url }, config), testMessage("Dear Alice, lunch tomorrow?"));
    expect(verdict.kind).toBe("continue");
    expect("note" in verdict && verdict.note).toMatch(/^rspamd: no action score=0\.00\/15\.00/);
  });
});
