// The ClamAV handler against a real clamd (Debian clamav-daemon) with the test's own
// signature database (test/helpers/clamd.ts): EICAR by hash, a token by body signature.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { clamav } from "../../handlers/clamav.ts";
import { clamdTool, EICAR, runData, scannerConfig, startClamd, testMessage, VIRUS_TOKEN, type Clamd } from "../helpers/clamd.ts";

const config = scannerConfig();

/** A MIME message with the EICAR file as a base64 attachment: clamd decodes it and hashes the part. */
function eicarMail(): Uint8Array {
  const b64 = Buffer.from(EICAR).toString("base64");
  return testMessage(
    `--b\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="eicar.com"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--b--`,
    'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n',
  );
}

describe.skipIf(clamdTool.skip)("real clamd", () => {
  let d: Clamd;
  beforeAll(async () => {
    d = await startClamd({ streamMaxLength: "1M" });
  }, 90_000);
  afterAll(async () => d?.stop());

  test("EICAR attachment → 554 5.7.1 message contains a virus: Eicar-Test-Signature…", async () => {
    const { verdict } = await runData(clamav({ host: "127.0.0.1", port: d.port }, config), eicarMail());
    expect(verdict).toMatchObject({ kind: "reject", reply: { code: 554, enhanced: "5.7.1" } });
    expect(verdict.kind === "reject" && verdict.reply.text).toMatch(/^message contains a virus: Eicar-Test-Signature(\.UNOFFICIAL)?$/);
  });

  test("the body signature, streamed in small chunks", async () => {
    const { verdict } = await runData(clamav({ host: "127.0.0.1", port: d.port, chunkBytes: 7 }, config), testMessage(`hello ${VIRUS_TOKEN} bye`));
    expect(verdict.kind === "reject" && verdict.reply.text).toMatch(/^message contains a virus: Hikyaku\.Test\.Token/);
  });

  test("a clean message → continue", async () => {
    expect((await runData(clamav({ host: "127.0.0.1", port: d.port }, config), testMessage("nothing to see"))).verdict).toEqual({ kind: "continue", note: "clamav: clean" });
  });

  test("larger than clamd's StreamMaxLength (1M) but under our maxBytes → clamd refuses; skip or tempfail per config", async () => {
    const big = testMessage("a".repeat(1_200_000));
    expect((await runData(clamav({ host: "127.0.0.1", port: d.port }, config), big)).verdict).toEqual({ kind: "continue", note: "clamav: skipped, over clamd's StreamMaxLength" });
    expect((await runData(clamav({ host: "127.0.0.1", port: d.port, oversize: "tempfail" }, config), big)).verdict.kind).toBe("tempfail");
  });
});
