// MTA-STS discovery and caching (RFC 8461 §3, §5.1) against a loopback HTTPS policy host
// with a test CA and a fake DNS resolver: fetch, reuse by id, refetch, and cache fallback.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDb, type TempDb } from "../db/temp-db.ts";
import { createTestCa, type TestCa } from "../helpers/test-ca.ts";
import { startHttpsServer, type HttpsRoute, type TestHttpsServer } from "../helpers/https-server.ts";
import { lookupStsPolicy, type StsLookupOptions, type StsPolicy } from "../../src/delivery/mta-sts.ts";
import { STS_POLICY_PATH } from "../../src/delivery/mta-sts-fetch.ts";
import { getCachedStsPolicy } from "../../src/store/mta-sts.ts";

const T0 = Date.UTC(2030, 0, 1);
const DAY = 86_400;

let t: TempDb;
let ca: TestCa;
const servers: TestHttpsServer[] = [];

beforeAll(async () => {
  t = await tempDb();
  ca = await createTestCa();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await t.cleanup();
});

class FakeDnsError extends Error {
  constructor(readonly code: string) {
    super(`fake DNS ${code}`);
  }
}

/** TXT answers by name (an Error is thrown); anything else is NXDOMAIN. */
function fakeResolver(txt: Record<string, string[][] | Error>, a: Record<string, string[]> = {}) {
  return {
    txtQueries: 0,
    async txt(name: string): Promise<string[][]> {
      this.txtQueries++;
      const v = txt[name];
      if (v instanceof Error) throw v;
      if (v === undefined) throw new FakeDnsError("NXDOMAIN");
      return v;
    },
    async a(name: string): Promise<string[]> {
      const v = a[name];
      if (v === undefined) throw new FakeDnsError("NXDOMAIN");
      return v;
    },
  };
}

const policyText = (mode: string, mx: string[], maxAge: number | string) =>
  ["version: STSv1", `mode: ${mode}`, ...mx.map((m) => `mx: ${m}`), `max_age: ${maxAge}`, ""].join("\r\n");

const plain = (body: string): HttpsRoute => ({ body, contentType: "text/plain; charset=utf-8" });

async function policyHost(domain: string, route: HttpsRoute): Promise<TestHttpsServer> {
  const cert = await ca.issue({ names: [`mta-sts.${domain}`] });
  const s = await startHttpsServer({ cert, routes: { [STS_POLICY_PATH]: route } });
  servers.push(s);
  return s;
}

function opts(resolver: StsLookupOptions["resolver"], s: TestHttpsServer, now = T0): StsLookupOptions {
  return { resolver, ca: ca.caPem, now, fetchPort: s.port, hostAddress: async () => s.host };
}

describe("lookupStsPolicy: fetch and cache", () => {
  test("fetches over HTTPS, returns the policy and caches it for max_age", async () => {
    const d = "fetch.test";
    const s = await policyHost(d, plain(policyText("enforce", [`mx1.${d}`, `*.mx.${d}`], DAY)));
    const r = fakeResolver({ [`_mta-sts.${d}`]: [["v=STSv1; id=20300101a;"]] });
    const got = await lookupStsPolicy(t.db, d, opts(r, s));
    expect(got).toEqual({
      policy: { id: "20300101a", mode: "enforce", mx: [`mx1.${d}`, `*.mx.${d}`], maxAge: DAY },
      source: "fetched",
    });
    expect(s.requests).toBe(1);
    expect(s.hostHeaders).toEqual([`mta-sts.${d}`]);
    expect(await getCachedStsPolicy(t.db, d)).toEqual({
      domain: d,
      policyId: "20300101a",
      mode: "enforce",
      mx: [`mx1.${d}`, `*.mx.${d}`],
      maxAge: DAY,
      fetchedAt: T0,
      expiresAt: T0 + DAY * 1000,
    });
  });

  test("the same TXT id with an unexpired cache uses the cache and does not fetch", async () => {
    const d = "same-id.test";
    const s = await policyHost(d, plain(policyText("enforce", [`mx.${d}`], DAY)));
    const r = fakeResolver({ [`_mta-sts.${d}`]: [["v=STSv1; id=one"]] });
    expect((await lookupStsPolicy(t.db, d, opts(r, s))).source).toBe("fetched");
    // The server now serves another policy: seeing it would prove a fetch happened.
    s.setRoute(STS_POLICY_PATH, plain(policyText("testing", [`other.${d}`], DAY)));
    const again = await lookupStsPolicy(t.db, d, opts(r, s, T0 + 3600_000));
    expect(again).toEqual({ policy: { id: "one", mode: "enforce", mx: [`mx.${d}`], maxAge: DAY }, source: "cache" });
    expect(s.requests).toBe(1);
    expect(r.txtQueries).toBe(2);
  });

  test("a new TXT id refetches and replaces the cache", async () => {
    const d = "new-id.test";
    const s = await policyHost(d, plain(policyText("enforce", [`mx.${d}`], DAY)));
    const txt: Record<string, string[][]> = { [`_mta-sts.${d}`]: [["v=STSv1; id=one"]] };
    const r = fakeResolver(txt);
    await lookupStsPolicy(t.db, d, opts(r, s));
    txt[`_mta-sts.${d}`] = [["v=STSv1; id=two"]];
    s.setRoute(STS_POLICY_PATH, plain(policyText("testing", [`new.${d}`], 2 * DAY)));
    const got = await lookupStsPolicy(t.db, d, opts(r, s, T0 + 60_000));
    expect(got.source).toBe("fetched");
    expect(got.policy).toEqual({ id: "two", mode: "testing", mx: [`new.${d}`], maxAge: 2 * DAY });
    expect(s.requests).toBe(2);
    const row = await getCachedStsPolicy(t.db, d);
    expect(row?.policyId).toBe("two");
    expect(row?.expiresAt).toBe(T0 + 60_000 + 2 * DAY * 1000);
  });

  test("an expired cache is refetched even when the id is unchanged", async () => {
    const d = "expired.test";
    const s = await policyHost(d, plain(policyText("enforce", [`mx.${d}`], 600)));
    const r = fakeResolver({ [`_mta-sts.${d}`]: [["v=STSv1; id=one"]] });
    await lookupStsPolicy(t.db, d, opts(r, s));
    // Still valid one millisecond before expiry, refetched at expiry (§5.1: max_age is a lifetime).
    expect((await lookupStsPolicy(t.db, d, opts(r, s, T0 + 600_000 - 1))).source).toBe("cache");
    expect(s.requests).toBe(1);
    expect((await lookupStsPolicy(t.db, d, opts(r, s, T0 + 600_000))).source).toBe("fetched");
    expect(s.requests).toBe(2);
  });

  test("max_age above 31557600 is capped (RFC 8461 §3.2)", async () => {
    const d = "cap.test";
    const s = await policyHost(d, plain(policyText("enforce", [`mx.${d}`], 99_999_999_999)));
    const r = fakeResolver({ [`_mta-sts.${d}`]: [["v=STSv1; id=cap"]] });
    const got = await lookupStsPolicy(t.db, d, opts(r, s));
    expect(got.policy?.maxAge).toBe(31_557_600);
    expect(got.warnings?.join()).toContain("max_age");
    expect((await getCachedStsPolicy(t.db, d))?.expiresAt).toBe(T0 + 31_557_600_000);
  });

  test("max_age at the limit is kept as is, without a warning", async () => {
    const d = "at-limit.test";
    const s = await policyHost(d, plain(policyText("enforce", [`mx.${d}`], 31_557_600)));
    const r = fakeResolver({ [`_mta-sts.${d}`]: [["v=STSv1; id=lim"]] });
    const got = await lookupStsPolicy(t.db, d, opts(r, s));
    expect(got.policy?.maxAge).toBe(31_557_600);
    expect(got.warnings).toBeUndefined();
  });

  test("mode none and mode testing are returned as published", async () => {
    const d1 = "mode-none.test";
    const s1 = await policyHost(d1, plain(policyText("none", [], DAY)));
    const r1 = fakeResolver({ [`_mta-sts.${d1}`]: [["v=STSv1; id=n"]] });
    expect((await lookupStsPolicy(t.db, d1, opts(r1, s1))).policy).toEqual({ id: "n", mode: "none", mx: [], maxAge: DAY });
    const d2 = "mode-testing.test";
    const s2 = await policyHost(d2, plain(policyText("testing", [`mx.${d2}`], DAY)));
    const r2 = fakeResolver({ [`_mta-sts.${d2}`]: [["v=STSv1; id=t"]] });
    expect((await lookupStsPolicy(t.db, d2, opts(r2, s2))).policy?.mode).toBe("testing");
  });

  test("the domain is normalised (case, trailing dot) for TXT, Policy Host and cache", async () => {
    const d = "case.test";
    const s = await policyHost(d, plain(policyText("enforce", [`mx.${d}`], DAY)));
    const r = fakeResolver({ [`_mta-sts.${d}`]: [["v=STSv1; id=c"]] });
    expect((await lookupStsPolicy(t.db, "CASE.Test.", opts(r, s))).source).toBe("fetched");
    expect(s.hostHeaders).toEqual([`mta-sts.${d}`]);
    expect((await lookupStsPolicy(t.db, d, opts(r, s))).source).toBe("cache");
  });

  test("without hostAddress the Policy Host is found through the resolver's A record", async () => {
    const d = "a-record.test";
    const s = await policyHost(d, plain(policyText("enforce", [`mx.${d}`], DAY)));
    const r = fakeResolver({ [`_mta-sts.${d}`]: [["v=STSv1; id=a"]] }, { [`mta-sts.${d}`]: [s.host] });
    const got = await lookupStsPolicy(t.db, d, { resolver: r, ca: ca.caPem, now: T0, fetchPort: s.port });
    expect(got.source).toBe("fetched");
    // No A record for the Policy Host: no policy.
    const d2 = "no-a-record.test";
    const r2 = fakeResolver({ [`_mta-sts.${d2}`]: [["v=STSv1; id=a"]] });
    const none = await lookupStsPolicy(t.db, d2, { resolver: r2, ca: ca.caPem, now: T0, fetchPort: s.port });
    expect(none.policy).toBeNull();
    expect(none.warnings?.join()).toContain("no A or AAAA record");
  });

  test("the extra CA may be given as a file path", async () => {
    const d = "ca-file.test";
    const s = await policyHost(d, plain(policyText("enforce", [`mx.${d}`], DAY)));
    const path = join(t.dir, "extra-ca.pem");
    writeFileSync(path, ca.caPem);
    const r = fakeResolver({ [`_mta-sts.${d}`]: [["v=STSv1; id=f"]] });
    expect((await lookupStsPolicy(t.db, d, { ...opts(r, s), ca: path })).source).toBe("fetched");
  });
});

describe("lookupStsPolicy: no live policy (RFC 8461 §5.1)", () => {
  async function cachedDomain(d: string) {
    const s = await policyHost(d, plain(policyText("enforce", [`mx.${d}`], DAY)));
    const txt: Record<string, string[][] | Error> = { [`_mta-sts.${d}`]: [["v=STSv1; id=old"]] };
    const r = fakeResolver(txt);
    expect((await lookupStsPolicy(t.db, d, opts(r, s))).source).toBe("fetched");
    const before = await getCachedStsPolicy(t.db, d);
    return { s, txt, r, before };
  }
  const cachedPolicy = (d: string): StsPolicy => ({ id: "old", mode: "enforce", mx: [`mx.${d}`], maxAge: DAY });

  test("no TXT record and no cache: no policy, nothing fetched", async () => {
    const d = "nothing.test";
    const s = await policyHost(d, plain(policyText("enforce", [`mx.${d}`], DAY)));
    const got = await lookupStsPolicy(t.db, d, opts(fakeResolver({}), s));
    expect(got).toEqual({ policy: null, source: "none" });
    expect(s.requests).toBe(0);
  });

  test("no TXT record any more but an unexpired cache: the cache applies", async () => {
    const d = "txt-gone.test";
    const { s, txt, r } = await cachedDomain(d);
    delete txt[`_mta-sts.${d}`];
    const got = await lookupStsPolicy(t.db, d, opts(r, s, T0 + 1000));
    expect(got.source).toBe("cache");
    expect(got.policy).toEqual(cachedPolicy(d));
  });

  test("no TXT record and an expired cache: no policy", async () => {
    const d = "txt-gone-expired.test";
    const { s, txt, r } = await cachedDomain(d);
    delete txt[`_mta-sts.${d}`];
    expect((await lookupStsPolicy(t.db, d, opts(r, s, T0 + DAY * 1000))).policy).toBeNull();
  });

  test("TXT lookup failure (SERVFAIL): cache if unexpired, else no policy", async () => {
    const d = "servfail.test";
    const { s, txt, r } = await cachedDomain(d);
    txt[`_mta-sts.${d}`] = new FakeDnsError("SERVFAIL");
    const got = await lookupStsPolicy(t.db, d, opts(r, s, T0 + 1000));
    expect(got.source).toBe("cache");
    expect(got.policy).toEqual(cachedPolicy(d));
    expect(got.warnings?.join()).toContain("SERVFAIL");
    const late = await lookupStsPolicy(t.db, d, opts(r, s, T0 + DAY * 1000));
    expect(late.policy).toBeNull();
    expect(late.source).toBe("none");
    expect(s.requests).toBe(1);
  });

  test("several v=STSv1 TXT records (§3.1): no live policy, the cache applies", async () => {
    const d = "multi.test";
    const { s, txt, r } = await cachedDomain(d);
    txt[`_mta-sts.${d}`] = [["v=STSv1; id=a"], ["v=STSv1; id=b"]];
    expect((await lookupStsPolicy(t.db, d, opts(r, s, T0 + 1000))).source).toBe("cache");
    const fresh = "multi-fresh.test";
    const r2 = fakeResolver({ [`_mta-sts.${fresh}`]: [["v=STSv1; id=a"], ["v=STSv1; id=b"]] });
    expect((await lookupStsPolicy(t.db, fresh, opts(r2, s))).policy).toBeNull();
  });

  test("TXT records without v=STSv1 are ignored: no policy", async () => {
    const d = "not-sts.test";
    const s = await policyHost(d, plain(policyText("enforce", [`mx.${d}`], DAY)));
    const r = fakeResolver({ [`_mta-sts.${d}`]: [["v=spf1 -all"]] });
    expect(await lookupStsPolicy(t.db, d, opts(r, s))).toEqual({ policy: null, source: "none" });
    expect(s.requests).toBe(0);
  });

  test("fetch failure with a new id and an unexpired cache: the cache applies and is kept", async () => {
    const d = "fetch-fails.test";
    const { s, txt, r, before } = await cachedDomain(d);
    txt[`_mta-sts.${d}`] = [["v=STSv1; id=new"]];
    s.setRoute(STS_POLICY_PATH, { status: 500, body: "oops", contentType: "text/plain" });
    const got = await lookupStsPolicy(t.db, d, opts(r, s, T0 + 1000));
    expect(got.source).toBe("cache");
    expect(got.policy).toEqual(cachedPolicy(d));
    expect(got.warnings?.join()).toContain("HTTP_STATUS");
    expect(await getCachedStsPolicy(t.db, d)).toEqual(before);
    expect(s.requests).toBe(2);
  });

  test("fetch failure without a cache: no policy", async () => {
    const d = "fetch-fails-fresh.test";
    const s = await policyHost(d, { status: 404, body: "no", contentType: "text/plain" });
    const r = fakeResolver({ [`_mta-sts.${d}`]: [["v=STSv1; id=x"]] });
    const got = await lookupStsPolicy(t.db, d, opts(r, s));
    expect(got.policy).toBeNull();
    expect(got.source).toBe("none");
    expect(got.warnings?.join()).toContain("HTTP 404");
    expect(await getCachedStsPolicy(t.db, d)).toBeNull();
  });

  test("an invalid policy file (no mode) is no policy, and the cache is kept", async () => {
    const d = "invalid-file.test";
    const { s, txt, r, before } = await cachedDomain(d);
    txt[`_mta-sts.${d}`] = [["v=STSv1; id=new"]];
    s.setRoute(STS_POLICY_PATH, plain("version: STSv1\r\nmx: a.example\r\nmax_age: 100\r\n"));
    expect((await lookupStsPolicy(t.db, d, opts(r, s, T0 + 1000))).source).toBe("cache");
    expect(await getCachedStsPolicy(t.db, d)).toEqual(before);
  });
});
