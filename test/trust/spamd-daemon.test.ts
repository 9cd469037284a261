// The SpamAssassin handler against a real spamd (Debian spamd/spamassassin) from test/helpers/spamd.ts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spamassassin } from "../../handlers/spamassassin.ts";
import { runData, scannerConfig, testMessage } from "../helpers/clamd.ts";
import { GTUBE, SPAM_TOKEN, spamdTool, startSpamd, type Spamd } from "../helpers/spamd.ts";

const config = scannerConfig();

describe.skipIf(spamdTool.skip)("real spamd", () => {
  let d: Spamd;
  beforeAll(async () => {
    d = await startSpamd();
  }, 90_000);
  afterAll(async () => d?.stop());

  test("the test rule (20 points) → reject at rejectScore 15 → 550 5.7.1", async () => {
    const { verdict, results } = await runData(spamassassin({ host: "127.0.0.1", port: d.port }, config), testMessage(`win ${SPAM_TOKEN}`));
    expect(verdict).toMatchObject({ kind: "reject", reply: { code: 550, enhanced: "5.7.1" } });
    expect((results.get("spamassassin") as { symbols: string[] }).symbols).toContain("HIKYAKU_TEST");
  });

  test("GTUBE from Debian's stock rules", async () => {
    const { results } = await runData(spamassassin({ host: "127.0.0.1", port: d.port }, config), testMessage(GTUBE));
    expect(results.get("spamassassin")).toMatchObject({ action: "reject" });
    expect((results.get("spamassassin") as { symbols: string[] }).symbols).toContain("GTUBE");
  });

  test("spam below rejectScore → Junk with X-Spam fields", async () => {
    const { verdict } = await runData(spamassassin({ host: "127.0.0.1", port: d.port, rejectScore: 100 }, config), testMessage(`win ${SPAM_TOKEN}`));
    expect(verdict.kind).toBe("quarantine");
    expect("headers" in verdict && verdict.headers?.add).toContainEqual({ name: "X-Spam-Flag", value: "YES" });
  });

  test("a clean message → continue, score in the note", async () => {
    const { verdict } = await runData(spamassassin({ host: "127.0.0.1", port: d.port }, config), testMessage("Dear Alice, lunch tomorrow?"));
    expect(verdict.kind).toBe("continue");
    expect("note" in verdict && verdict.note).toMatch(/^spamassassin: no action score=-?\d+\.\d\d\/5\.00/);
  });
});
