// SPF handler (RFC 7208) against a fake resolver: every result, the configured actions,
// the lookup limits (§4.6.4), the HELO identity for <> (§2.4), and the trusted-client skip.

import { expect, test } from "bun:test";
import { spf } from "../../handlers/spf.ts";
import { spfFinding } from "../../src/trust/auth-findings.ts";
import { fakeConfig, fakeCtx, fakeResolver, fakeSession, run, type FakeZone } from "./mailauth-fakes.ts";

const config = fakeConfig();
const zone: FakeZone = {
  "TXT pass.test": ["v=spf1 ip4:192.0.2.0/24 -all"],
  "TXT fail.test": ["v=spf1 ip4:198.51.100.1 -all"],
  "TXT soft.test": ["v=spf1 ~all"],
  "TXT neutral.test": ["v=spf1 ?all"],
  "TXT none.test": ["some other text"],
  "TXT broken.test": ["v=spf1 ip4:nonsense -all"],
  "TXT slow.test": { error: "ETIMEOUT" },
  "TXT servfail.test": { error: "ESERVFAIL" },
  "TXT loop.test": ["v=spf1 include:loop2.test -all"],
  "TXT loop2.test": ["v=spf1 include:loop.test -all"],
  "TXT voids.test": ["v=spf1 a:v1.voids.test a:v2.voids.test a:v3.voids.test ip4:192.0.2.1 -all"],
  "TXT mail.example.org": ["v=spf1 ip4:192.0.2.1 -all"],
  "TXT badhelo.example": ["v=spf1 -all"],
};
// eleven chained includes: one more DNS-querying term than RFC 7208 §4.6.4 allows
zone["TXT many.test"] = ["v=spf1 include:i1.many.test -all"];
for (let i = 1; i <= 11; i++) zone[`TXT i${i}.many.test`] = [i === 11 ? "v=spf1 ip4:192.0.2.1 -all" : `v=spf1 include:i${i + 1}.many.test -all`];

async function check(from: string, opts: unknown = {}, session = fakeSession()) {
  const { resolve, queries } = fakeResolver(zone);
  const ctx = fakeCtx(config, resolve);
  const v = await run(spf(opts, config)[0], { session, transactionId: "t1", from, params: {} }, ctx);
  return { v, finding: spfFinding(ctx.results), queries };
}

test("pass continues and stores the result with its A-R fragment", async () => {
  const { v, finding } = await check("a@pass.test");
  expect(v).toMatchObject({ kind: "continue" });
  expect((v as { note: string }).note).toContain("spf=pass (mailfrom=pass.test, ip 192.0.2.1)");
  expect(finding?.result).toBe("pass");
  expect(finding?.authResults[0]).toStartWith("spf=pass");
  expect(finding?.authResults[0]).toContain("smtp.mailfrom=a@pass.test");
  expect(finding?.dnsLog.size).toBeGreaterThan(0);
});

test("fail defers to DMARC by default, rejects 550 5.7.23 when asked", async () => {
  const deferred = await check("a@fail.test");
  expect(deferred.v.kind).toBe("continue");
  expect((deferred.v as { note: string }).note).toContain("fail left to DMARC");
  expect(deferred.finding?.result).toBe("fail");
  const rejected = await check("a@fail.test", { onFail: "reject" });
  expect(rejected.v).toMatchObject({ kind: "reject", reply: { code: 550, enhanced: "5.7.23" } });
});

test("softfail and neutral continue; softfail can be made to reject", async () => {
  expect((await check("a@soft.test")).v.kind).toBe("continue");
  expect((await check("a@soft.test")).finding?.result).toBe("softfail");
  expect((await check("a@soft.test", { onSoftfail: "reject" })).v).toMatchObject({ kind: "reject", reply: { code: 550 } });
  expect((await check("a@neutral.test")).finding?.result).toBe("neutral");
});

test("no SPF record is none; no domain at all is none", async () => {
  expect((await check("a@none.test")).finding?.result).toBe("none");
  expect((await check("a@nowhere.test")).finding?.result).toBe("none");
});

test("DNS timeout and SERVFAIL are temperror → 451 4.4.3, never accept or reject", async () => {
  for (const d of ["slow.test", "servfail.test"]) {
    const { v, finding } = await check(`a@${d}`);
    expect(finding?.result).toBe("temperror");
    expect(v).toMatchObject({ kind: "tempfail", reply: { code: 451, enhanced: "4.4.3" } });
  }
  expect((await check("a@slow.test", { onTemperror: "continue" })).v.kind).toBe("continue");
});

test("permerror: bad syntax, an include loop, more than 10 lookups, too many void lookups", async () => {
  for (const d of ["broken.test", "loop.test", "many.test", "voids.test"]) {
    const { v, finding } = await check(`a@${d}`);
    expect({ d, r: finding?.result }).toEqual({ d, r: "permerror" });
    expect(v.kind).toBe("continue");
  }
  expect((await check("a@many.test", { onPermerror: "reject" })).v).toMatchObject({ kind: "reject", reply: { enhanced: "5.7.24" } });
  // the limit is an option: with 12 allowed lookups the chain resolves to pass
  expect((await check("a@many.test", { maxLookups: 12 })).finding?.result).toBe("pass");
});

test("the null sender is checked with the HELO identity (RFC 7208 §2.4)", async () => {
  const good = await check("", {}, fakeSession({ helo: "mail.example.org" }));
  expect(good.finding).toMatchObject({ result: "pass", identity: "helo", domain: "mail.example.org" });
  const bad = await check("", { onFail: "reject" }, fakeSession({ helo: "badhelo.example" }));
  expect(bad.v).toMatchObject({ kind: "reject" });
});

test("checkHelo: a HELO fail is conclusive, and MAIL FROM is then not queried", async () => {
  const { v, queries } = await check("a@pass.test", { checkHelo: true, onFail: "reject" }, fakeSession({ helo: "badhelo.example" }));
  expect(v).toMatchObject({ kind: "reject", reply: { code: 550 } });
  expect(queries).not.toContain("TXT pass.test");
  const both = await check("a@pass.test", { checkHelo: true }, fakeSession({ helo: "mail.example.org" }));
  expect(both.finding?.authResults.length).toBe(2);
  expect(both.finding?.identity).toBe("mailfrom");
});

test("trusted networks and authenticated sessions are skipped without DNS", async () => {
  const trustedConfig = fakeConfig({ trustedNetworks: ["192.0.2.0/24"] });
  const { resolve, queries } = fakeResolver(zone);
  const v = await run(spf({}, trustedConfig)[0], { session: fakeSession(), transactionId: "t", from: "a@fail.test", params: {} }, fakeCtx(trustedConfig, resolve));
  expect((v as { note: string }).note).toContain("trustedNetworks");
  const a = await check("a@fail.test", { onFail: "reject" }, fakeSession({ authUser: "alice@example.test" }));
  expect(a.v.kind).toBe("continue");
  expect(a.finding).toBeUndefined();
  expect(queries).toEqual([]);
});

test("invalid options name the handler", () => {
  expect(() => spf({ onFail: "explode" }, config)).toThrow(/handler spf/);
  expect(() => spf({ maxLookups: 0 }, config)).toThrow(/handler spf/);
});
