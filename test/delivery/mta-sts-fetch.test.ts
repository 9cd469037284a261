// MTA-STS policy fetch rules (RFC 8461 §3.3): content type, no redirects, 64 KiB cap, timeout
// and certificate checks (PKIX chain, expiry, Policy Host name). A rejected fetch is no
// policy, and never replaces an unexpired cached one.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { tempDb, type TempDb } from "../db/temp-db.ts";
import { createTestCa, type IssuedCert, type TestCa } from "../helpers/test-ca.ts";
import { startHttpsServer, type HttpsRoute, type TestHttpsServer } from "../helpers/https-server.ts";
import { lookupStsPolicy, type StsLookupOptions } from "../../src/delivery/mta-sts.ts";
import { STS_MAX_POLICY_BYTES, STS_POLICY_PATH } from "../../src/delivery/mta-sts-fetch.ts";
import { getCachedStsPolicy } from "../../src/store/mta-sts.ts";

const T0 = Date.UTC(2030, 0, 1);
const DAY = 86_400;

let t: TempDb;
let ca: TestCa;
let otherCa: TestCa;
const servers: TestHttpsServer[] = [];
const tcpServers: Server[] = [];
const tcpSockets: Socket[] = [];

beforeAll(async () => {
  t = await tempDb();
  [ca, otherCa] = await Promise.all([createTestCa(), createTestCa("Untrusted Test CA")]);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const sock of tcpSockets) sock.destroy();
  await Promise.all(tcpServers.map((s) => new Promise((resolve) => s.close(resolve))));
  await t.cleanup();
});

/** TXT answers by name; anything else is NXDOMAIN. */
function fakeResolver(txt: Record<string, string[][]>) {
  const nx = () => Object.assign(new Error("fake NXDOMAIN"), { code: "NXDOMAIN" });
  return {
    async txt(name: string): Promise<string[][]> {
      const v = txt[name];
      if (v === undefined) throw nx();
      return v;
    },
    async a(): Promise<string[]> {
      throw nx();
    },
  };
}

const POLICY = (d: string) => `version: STSv1\r\nmode: enforce\r\nmx: mx.${d}\r\nmax_age: ${DAY}\r\n`;
const plain = (body: string): HttpsRoute => ({ body, contentType: "text/plain" });

async function policyHost(route: HttpsRoute, cert: IssuedCert): Promise<TestHttpsServer> {
  const s = await startHttpsServer({ cert, routes: { [STS_POLICY_PATH]: route } });
  servers.push(s);
  return s;
}

function opts(txt: Record<string, string[][]>, port: number, now = T0): StsLookupOptions {
  return { resolver: fakeResolver(txt), ca: ca.caPem, now, fetchPort: port, hostAddress: async () => "127.0.0.1" };
}

/** Runs a lookup for a fresh domain served by `route` with `cert` (default: valid for the domain). */
async function fresh(d: string, route: HttpsRoute, cert?: IssuedCert) {
  const s = await policyHost(route, cert ?? (await ca.issue({ names: [`mta-sts.${d}`] })));
  const got = await lookupStsPolicy(t.db, d, opts({ [`_mta-sts.${d}`]: [["v=STSv1; id=one"]] }, s.port));
  return { s, got };
}

/** Caches a valid policy for `d`, then announces a new id served by `route` with `cert`. */
async function cachedThenBad(d: string, route: HttpsRoute, cert?: IssuedCert) {
  const good = await policyHost(plain(POLICY(d)), await ca.issue({ names: [`mta-sts.${d}`] }));
  await lookupStsPolicy(t.db, d, opts({ [`_mta-sts.${d}`]: [["v=STSv1; id=one"]] }, good.port));
  const before = await getCachedStsPolicy(t.db, d);
  expect(before?.policyId).toBe("one");
  const bad = await policyHost(route, cert ?? (await ca.issue({ names: [`mta-sts.${d}`] })));
  const got = await lookupStsPolicy(t.db, d, opts({ [`_mta-sts.${d}`]: [["v=STSv1; id=two"]] }, bad.port, T0 + 1000));
  return { got, before, bad };
}

describe("policy fetch: HTTP rules", () => {
  test("control: a valid response is accepted", async () => {
    const { got } = await fresh("ok.test", plain(POLICY("ok.test")));
    expect(got.source).toBe("fetched");
  });

  test("content-type other than text/plain: no policy", async () => {
    const { got } = await fresh("ctype.test", { body: POLICY("ctype.test"), contentType: "text/html" });
    expect(got.policy).toBeNull();
    expect(got.warnings?.join()).toContain("CONTENT_TYPE");
  });

  test("a missing content-type: no policy", async () => {
    const { got } = await fresh("no-ctype.test", { body: POLICY("no-ctype.test") });
    expect(got.policy).toBeNull();
  });

  test("a redirect is not followed: no policy, one request only", async () => {
    const d = "redirect.test";
    const cert = await ca.issue({ names: [`mta-sts.${d}`] });
    const s = await policyHost({ status: 301, body: "", contentType: "text/plain" }, cert);
    s.setRoute("/real.txt", plain(POLICY(d)));
    s.setRoute(STS_POLICY_PATH, { status: 301, contentType: "text/plain", headers: { location: `https://mta-sts.${d}:${s.port}/real.txt` } });
    const got = await lookupStsPolicy(t.db, d, opts({ [`_mta-sts.${d}`]: [["v=STSv1; id=r"]] }, s.port));
    expect(got.policy).toBeNull();
    expect(got.warnings?.join()).toContain("HTTP 301");
    expect(s.requests).toBe(1);
  });

  test("exactly 64 KiB is accepted; one byte more is not", async () => {
    const pad = (d: string, size: number) => {
      const base = POLICY(d);
      // Lines without a colon are ignored by the parser (RFC 8461 §3.2 allows no such lines,
      // but they make a policy of an exact size).
      return base + "x".repeat(size - base.length);
    };
    const ok = await fresh("size-ok.test", plain(pad("size-ok.test", STS_MAX_POLICY_BYTES)));
    expect(ok.got.source).toBe("fetched");
    const big = await fresh("size-big.test", plain(pad("size-big.test", STS_MAX_POLICY_BYTES + 1)));
    expect(big.got.policy).toBeNull();
    expect(big.got.warnings?.join()).toContain("TOO_LARGE");
  });

  test("oversize without a content-length (chunked) is cut off: no policy", async () => {
    const d = "size-chunked.test";
    const body = POLICY(d) + "x".repeat(STS_MAX_POLICY_BYTES);
    const { got } = await fresh(d, { body, contentType: "text/plain", headers: { "transfer-encoding": "chunked" } });
    expect(got.policy).toBeNull();
    expect(got.warnings?.join()).toContain("TOO_LARGE");
  });

  test("a policy host that never answers times out: no policy", async () => {
    const d = "timeout.test";
    // Accepts and says nothing: the TLS handshake never completes.
    const silent = createServer((sock) => void tcpSockets.push(sock));
    tcpServers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as AddressInfo).port;
    const got = await lookupStsPolicy(t.db, d, {
      ...opts({ [`_mta-sts.${d}`]: [["v=STSv1; id=x"]] }, port),
      timeoutMs: 200,
    });
    expect(got.policy).toBeNull();
    expect(got.warnings?.join()).toContain("TIMEOUT");
  });

  test("a rejected response keeps the unexpired cache (wrong content-type)", async () => {
    const { got, before } = await cachedThenBad("ctype-cached.test", {
      body: POLICY("ctype-cached.test"),
      contentType: "application/octet-stream",
    });
    expect(got.source).toBe("cache");
    expect(got.policy?.id).toBe("one");
    expect(await getCachedStsPolicy(t.db, "ctype-cached.test")).toEqual(before);
  });
});

describe("policy fetch: certificate of the Policy Host (PKIX + name)", () => {
  test("a certificate for another name: no policy", async () => {
    const d = "badname.test";
    const { got } = await fresh(d, plain(POLICY(d)), await ca.issue({ names: [`www.${d}`, d] }));
    expect(got.policy).toBeNull();
    expect(got.warnings?.join()).toContain("CERT_INVALID: certificate of mta-sts.badname.test rejected: ERR_TLS_CERT_ALTNAME_INVALID");
  });

  test("a CN-only certificate (no subjectAltName) is not valid: DNS-ID required", async () => {
    const d = "cn-only.test";
    const { got } = await fresh(d, plain(POLICY(d)), await ca.issue({ names: [], commonName: `mta-sts.${d}` }));
    expect(got.policy).toBeNull();
    expect(got.warnings?.join()).toContain("no DNS-ID subjectAltName");
  });

  test("a wildcard certificate for the parent domain is valid for mta-sts.<domain>", async () => {
    const d = "wild.test";
    const { got } = await fresh(d, plain(POLICY(d)), await ca.issue({ names: [`*.${d}`] }));
    expect(got.source).toBe("fetched");
  });

  test("a wildcard two labels up does not match", async () => {
    const d = "sub.wild2.test";
    const { got } = await fresh(d, plain(POLICY(d)), await ca.issue({ names: ["*.wild2.test"] }));
    expect(got.policy).toBeNull();
  });

  test("an expired certificate: no policy", async () => {
    const d = "expired-cert.test";
    const now = Date.now();
    const cert = await ca.issue({
      names: [`mta-sts.${d}`],
      notBefore: new Date(now - 10 * DAY * 1000),
      notAfter: new Date(now - DAY * 1000),
    });
    const { got } = await fresh(d, plain(POLICY(d)), cert);
    expect(got.policy).toBeNull();
    expect(got.warnings?.join()).toContain("CERT_HAS_EXPIRED");
  });

  test("a certificate from an untrusted CA: no policy", async () => {
    const d = "untrusted.test";
    const { got } = await fresh(d, plain(POLICY(d)), await otherCa.issue({ names: [`mta-sts.${d}`] }));
    expect(got.policy).toBeNull();
    expect(got.warnings?.join()).toContain("CERT_INVALID: certificate of mta-sts.untrusted.test rejected: UNABLE_TO_VERIFY");
  });

  test("the test CA is not trusted unless configured (system roots only)", async () => {
    const d = "no-extra-ca.test";
    const s = await policyHost(plain(POLICY(d)), await ca.issue({ names: [`mta-sts.${d}`] }));
    const got = await lookupStsPolicy(t.db, d, { ...opts({ [`_mta-sts.${d}`]: [["v=STSv1; id=x"]] }, s.port), ca: null });
    expect(got.policy).toBeNull();
    expect(got.warnings?.join()).toContain("CERT_INVALID");
  });

  test("a bad certificate keeps the unexpired cache", async () => {
    const d = "badcert-cached.test";
    const { got, before, bad } = await cachedThenBad(d, plain(POLICY(d)), await otherCa.issue({ names: [`mta-sts.${d}`] }));
    expect(got.source).toBe("cache");
    expect(got.policy?.id).toBe("one");
    expect(bad.requests).toBe(0);
    expect(await getCachedStsPolicy(t.db, d)).toEqual(before);
  });
});
