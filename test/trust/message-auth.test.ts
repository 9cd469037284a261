// message-auth (DKIM RSA + Ed25519, DMARC, ARC through one authenticate() call) against a fake
// resolver: results, temperror handling, the DMARC policy fields, and the SPF answer replay.

import { beforeAll, expect, test } from "bun:test";
import { messageAuth } from "../../handlers/message-auth.ts";
import { spf } from "../../handlers/spf.ts";
import { generateDkimKeyPair, dkimRecordValue, type DkimKeyPair } from "../../src/delivery/dkim-keys.ts";
import { messageAuthFinding, type MessageAuthFinding } from "../../src/trust/auth-findings.ts";
import type { Verdict } from "../../src/events/verdict.ts";
import { dkimSigned, fakeConfig, fakeCtx, fakeResolver, fakeSession, mail, run, type FakeZone } from "./mailauth-fakes.ts";

const config = fakeConfig();
let rsa: DkimKeyPair;
let ed: DkimKeyPair;
const zone: FakeZone = {};

beforeAll(async () => {
  rsa = await generateDkimKeyPair("rsa-sha256");
  ed = await generateDkimKeyPair("ed25519-sha256");
  Object.assign(zone, {
    "TXT rsa._domainkey.example.org": [dkimRecordValue("rsa-sha256", rsa.publicKey)],
    "TXT ed._domainkey.example.org": [dkimRecordValue("ed25519-sha256", ed.publicKey)],
    "TXT bad._domainkey.example.org": ["v=DKIM1; k=rsa; p=bm90IGEga2V5"],
    "TXT slow._domainkey.example.org": { error: "ETIMEOUT" },
    "TXT example.org": ["v=spf1 ip4:192.0.2.1 -all"],
    "TXT _dmarc.example.org": ["v=DMARC1; p=reject; sp=quarantine"],
    "A example.org": ["192.0.2.80"],
    "A sub.example.org": ["192.0.2.81"],
    "TXT strict.test": ["v=spf1 -all"],
    "TXT _dmarc.strict.test": ["v=DMARC1; p=reject; adkim=s; aspf=s"],
    "A mail.strict.test": ["192.0.2.82"],
    "TXT _dmarc.sampled.test": ["v=DMARC1; p=reject; pct=0"],
    "TXT _dmarc.testing.test": ["v=DMARC1; p=reject; t=y"],
    "TXT _dmarc.dnsfail.test": { error: "ETIMEOUT" },
  });
});

async function check(message: string, opts: { from?: string; ip?: string; withSpf?: boolean } = {}) {
  const { resolve, queries } = fakeResolver(zone);
  const ctx = fakeCtx(config, resolve);
  const session = fakeSession({ remoteAddress: opts.ip ?? "198.51.100.7" });
  const mailFrom = opts.from ?? "bounce@elsewhere.test";
  if (opts.withSpf) await run(spf({}, config)[0], { session, transactionId: "t", from: mailFrom, params: {} }, ctx);
  const v: Verdict = await run(messageAuth({}, config)[0], {
    session,
    envelope: { transactionId: "t", mailFrom, mailParams: {}, recipients: [] },
    message: new TextEncoder().encode(message),
  }, ctx);
  return { v, f: messageAuthFinding(ctx.results) as MessageAuthFinding, queries };
}

test("RSA and Ed25519 signatures verify; an aligned pass passes DMARC", async () => {
  const r = await check(await dkimSigned(mail("a@example.org"), { domain: "example.org", selector: "rsa", privateKey: rsa.privateKey, algorithm: "rsa-sha256" }));
  expect(r.f.dkim).toMatchObject([{ result: "pass", domain: "example.org", selector: "rsa", algorithm: "rsa-sha256", aligned: true }]);
  expect(r.f.dmarc).toMatchObject({ result: "pass", policy: "reject", pct: 100 });
  expect(r.v.kind).toBe("continue");
  expect((r.v as { note: string }).note).toContain("dkim=pass (example.org s=rsa rsa-sha256, aligned)");
  expect(r.f.authResults.some((x) => x.startsWith("dkim=pass"))).toBe(true);
  expect(r.f.authResults.some((x) => x.startsWith("dmarc=pass"))).toBe(true);
  const e = await check(await dkimSigned(mail("a@example.org"), { domain: "example.org", selector: "ed", privateKey: ed.privateKey, algorithm: "ed25519-sha256" }));
  expect(e.f.dkim).toMatchObject([{ result: "pass", algorithm: "ed25519-sha256" }]);
  expect(e.f.dmarc?.result).toBe("pass");
});

test("a tampered body fails DKIM and, without SPF, DMARC with p=reject", async () => {
  const signed = await dkimSigned(mail("a@example.org"), { domain: "example.org", selector: "rsa", privateKey: rsa.privateKey, algorithm: "rsa-sha256" });
  const r = await check(signed.replace("Hello there.", "Send money."));
  // mailauth reports a body hash mismatch as neutral (RFC 6376 §6.3 step 4 fails before the signature)
  expect(r.f.dkim[0]?.result).toBe("neutral");
  expect(r.f.authResults.find((x) => x.startsWith("dkim="))).toContain("body hash did not verify");
  const header = await check(signed.replace("Subject: test", "Subject: changed"));
  expect(header.f.dkim[0]?.result).toBe("fail");
  expect(r.f.dmarc).toMatchObject({ result: "fail", policy: "reject", domain: "example.org" });
  expect(r.v.kind).toBe("continue"); // acting on it is dmarc-policy's job
});

test("a subdomain gets sp=, and strict alignment refuses an org-domain signature", async () => {
  const sub = await check(mail("a@sub.example.org"));
  expect(sub.f.dmarc).toMatchObject({ result: "fail", policy: "quarantine", domain: "sub.example.org" });
  const strictSigned = await dkimSigned(mail("a@mail.strict.test"), { domain: "example.org", selector: "rsa", privateKey: rsa.privateKey, algorithm: "rsa-sha256" });
  const st = await check(strictSigned);
  expect(st.f.dkim[0]).toMatchObject({ result: "pass", aligned: false });
  expect(st.f.dmarc?.result).toBe("fail");
});

test("relaxed SPF alignment: an SPF pass for the org domain passes DMARC for a subdomain author", async () => {
  const r = await check(mail("a@sub.example.org"), { from: "bounce@example.org", ip: "192.0.2.1" });
  expect(r.f.dmarc?.result).toBe("pass");
});

test("pct= and t=y are reported for dmarc-policy", async () => {
  expect((await check(mail("a@sampled.test"))).f.dmarc).toMatchObject({ result: "fail", policy: "reject", pct: 0 });
  expect((await check(mail("a@testing.test"))).f.dmarc).toMatchObject({ result: "fail", policy: "quarantine", testMode: true });
});

test("malformed signatures and keys give a result, never a crash", async () => {
  // without the required tags the field is not a signature at all
  const garbage = await check(mail("a@example.org", "x\r\n", "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; this is not a signature\r\n"));
  expect(garbage.f.dkim[0]?.result).toBe("none");
  const badB = await check(mail("a@example.org", "x\r\n", "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=rsa; h=from:subject; bh=AAAA; b=!!notbase64!!\r\n"));
  expect(["neutral", "permerror", "fail"]).toContain(badB.f.dkim[0]?.result);
  expect(badB.f.dmarc?.result).toBe("fail");
  const badKey = await check(await dkimSigned(mail("a@example.org"), { domain: "example.org", selector: "bad", privateKey: rsa.privateKey, algorithm: "rsa-sha256" }));
  expect(["neutral", "permerror", "fail"]).toContain(badKey.f.dkim[0]?.result);
  expect(badKey.f.dkim[0]?.result).not.toBe("pass");
});

test("a DKIM key lookup timeout is temperror and recorded; a DMARC lookup timeout is 451 4.4.3", async () => {
  const slow = await check(await dkimSigned(mail("a@example.org"), { domain: "example.org", selector: "slow", privateKey: rsa.privateKey, algorithm: "rsa-sha256" }));
  expect(slow.f.dkim[0]?.result).toBe("temperror");
  expect(slow.f.temperrors).toContain("dkim");
  const dmarc = await check(mail("a@dnsfail.test"));
  expect(dmarc.f.dmarc?.result).toBe("temperror");
  expect(dmarc.v).toMatchObject({ kind: "tempfail", reply: { code: 451, enhanced: "4.4.3" } });
});

test("the SPF result of MAIL FROM is reused: its DNS answers are not asked again", async () => {
  const r = await check(mail("a@example.org"), { from: "bounce@example.org", ip: "192.0.2.1", withSpf: true });
  expect(r.queries.filter((q) => q === "TXT example.org")).toEqual(["TXT example.org"]);
  expect(r.f.dmarc?.result).toBe("pass"); // authenticate()'s replayed SPF pass aligned
  // the spf handler owns the spf= fragment; message-auth does not repeat it
  expect(r.f.authResults.some((x) => x.startsWith("spf="))).toBe(false);
  const alone = await check(mail("a@example.org"), { from: "bounce@example.org", ip: "192.0.2.1" });
  expect(alone.f.authResults.some((x) => x.startsWith("spf=pass"))).toBe(true);
});

test("trusted and authenticated clients are skipped", async () => {
  const { resolve, queries } = fakeResolver(zone);
  const ctx = fakeCtx(config, resolve);
  const v = await run(messageAuth({}, config)[0], {
    session: fakeSession({ authUser: "alice@example.test" }),
    envelope: { transactionId: "t", mailFrom: "alice@example.test", mailParams: {}, recipients: [] },
    message: new TextEncoder().encode(mail("a@example.org")),
  }, ctx);
  expect(v.kind).toBe("continue");
  expect(queries).toEqual([]);
  expect(() => messageAuth({ minBitLength: 1 }, config)).toThrow(/handler message-auth/);
});
