// MTA-STS default path (RFC 8461 §3.3): no port or address override — the Policy Host's A
// record from the resolver, port 443. Binds 127.0.84.61:443, so it needs root (or
// CAP_NET_BIND_SERVICE); it is skipped, saying why, when that bind is refused.

import { afterAll, describe, expect, test } from "bun:test";
import { tempDb } from "../db/temp-db.ts";
import { createTestCa } from "../helpers/test-ca.ts";
import { startHttpsServer, type TestHttpsServer } from "../helpers/https-server.ts";
import { lookupStsPolicy } from "../../src/delivery/mta-sts.ts";
import { STS_POLICY_PATH } from "../../src/delivery/mta-sts-fetch.ts";

const ADDRESS = "127.0.84.61";
const DOMAIN = "port443.test";

const ca = await createTestCa();
const t = await tempDb();
let server: TestHttpsServer | null = null;
let skipReason = "";
try {
  server = await startHttpsServer({
    host: ADDRESS,
    port: 443,
    cert: await ca.issue({ names: [`mta-sts.${DOMAIN}`] }),
    routes: {
      [STS_POLICY_PATH]: {
        body: `version: STSv1\r\nmode: enforce\r\nmx: mx.${DOMAIN}\r\nmax_age: 86400\r\n`,
        contentType: "text/plain",
      },
    },
  });
} catch (e) {
  const code = (e as { code?: string }).code ?? String(e);
  const hint = code === "EACCES" ? "run as root to include this test" : "is another process using it?";
  skipReason = `cannot bind ${ADDRESS}:443 (${code}); ${hint}`;
  console.warn(`[mta-sts-port443] SKIPPED: ${skipReason}`);
}

afterAll(async () => {
  await server?.stop();
  await t.cleanup();
});

describe("lookupStsPolicy on the real port 443", () => {
  test.skipIf(server === null)("fetches https://mta-sts.<domain>/.well-known/mta-sts.txt from the A record's address", async () => {
    const nx = () => Object.assign(new Error("NXDOMAIN"), { code: "NXDOMAIN" });
    const resolver = {
      async txt(name: string) {
        if (name === `_mta-sts.${DOMAIN}`) return [["v=STSv1; id=443"]];
        throw nx();
      },
      async a(name: string) {
        if (name === `mta-sts.${DOMAIN}`) return [ADDRESS];
        throw nx();
      },
    };
    const got = await lookupStsPolicy(t.db, DOMAIN, { resolver, ca: ca.caPem, now: Date.now() });
    expect(got).toEqual({
      policy: { id: "443", mode: "enforce", mx: [`mx.${DOMAIN}`], maxAge: 86400 },
      source: "fetched",
    });
    expect(server?.requests).toBe(1);
    expect(server?.hostHeaders).toEqual([`mta-sts.${DOMAIN}`]);
  });
});
