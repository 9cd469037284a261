// dmarc-policy on hand-made message-auth findings: p=reject/quarantine, pct sampling
// (RFC 7489 §6.3), trusted ARC forwarders (RFC 8617 §7.2), the allowlist, DNS temperrors.

import { expect, test } from "bun:test";
import { dmarcPolicy } from "../../handlers/dmarc-policy.ts";
import { MESSAGE_AUTH_KEY, type DmarcSummary, type MessageAuthFinding } from "../../src/trust/auth-findings.ts";
import { sampleBucket, sampledPolicy } from "../../src/trust/auth-dmarc-sampling.ts";
import { fakeConfig, fakeCtx, fakeResolver, fakeSession, run } from "./mailauth-fakes.ts";

const config = fakeConfig();

function finding(dmarc: Partial<DmarcSummary> | null, extra: Partial<MessageAuthFinding> = {}): MessageAuthFinding {
  return {
    authResults: [],
    dkim: [],
    arc: null,
    dmarc: dmarc && { result: "fail", domain: "example.org", policy: "reject", pct: 100, testMode: false, ...dmarc },
    temperrors: [],
    raw: {} as MessageAuthFinding["raw"],
    ...extra,
  };
}

async function decide(f: MessageAuthFinding | null, opts: unknown = {}, transactionId = "t1") {
  const results = new Map<string, unknown>();
  if (f) results.set(MESSAGE_AUTH_KEY, f);
  const ctx = fakeCtx(config, fakeResolver({}).resolve, results);
  const envelope = { transactionId, mailFrom: "", mailParams: {}, recipients: [] };
  return run(dmarcPolicy(opts, config)[0], { session: fakeSession(), envelope, message: new Uint8Array() }, ctx);
}

test("p=reject failure → 550 5.7.1, or Junk when configured", async () => {
  expect(await decide(finding({}))).toMatchObject({ kind: "reject", reply: { code: 550, enhanced: "5.7.1" } });
  expect(await decide(finding({}), { onReject: "quarantine" })).toMatchObject({ kind: "quarantine" });
});

test("p=quarantine failure → Junk, or INBOX when configured; p=none and passes continue", async () => {
  expect(await decide(finding({ policy: "quarantine" }))).toMatchObject({ kind: "quarantine" });
  expect((await decide(finding({ policy: "quarantine" }), { onQuarantine: "continue" })).kind).toBe("continue");
  expect((await decide(finding({ policy: "none" }))).kind).toBe("continue");
  expect((await decide(finding({ result: "pass" }))).kind).toBe("continue");
  expect((await decide(finding(null))).kind).toBe("continue");
  expect((await decide(null)).kind).toBe("continue");
});

test("pct=0 never applies the published policy: reject becomes quarantine (RFC 7489 §6.6.4)", async () => {
  for (const id of ["a", "b", "c", "d"]) {
    expect(await decide(finding({ pct: 0 }), {}, id)).toMatchObject({ kind: "quarantine" });
    expect((await decide(finding({ pct: 0, policy: "quarantine" }), {}, id)).kind).toBe("continue");
  }
  expect(await decide(finding({ pct: 0 }), { honourPct: false })).toMatchObject({ kind: "reject" });
});

test("pct sampling picks about pct% of transactions, deterministically", () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `tx-${i}`);
  const sampled = ids.filter((id) => sampledPolicy("reject", 30, id).sampled).length;
  expect(sampled).toBeGreaterThan(220);
  expect(sampled).toBeLessThan(380);
  expect(sampleBucket("tx-1")).toBe(sampleBucket("tx-1"));
  expect(sampledPolicy("reject", 100, "x")).toEqual({ policy: "reject", sampled: true });
});

test("a passing ARC chain sealed by a trusted forwarder overrides the failure", async () => {
  const arc = { result: "pass", instance: 1, sealer: "lists.example.net" };
  const v = await decide(finding({}, { arc }), { trustedForwarders: ["Example.NET"] });
  expect(v.kind).toBe("continue");
  expect((v as { note: string }).note).toContain("trusted forwarder lists.example.net");
  // not trusted, or a failing chain: the policy applies
  expect((await decide(finding({}, { arc }), { trustedForwarders: ["other.test"] })).kind).toBe("reject");
  expect((await decide(finding({}, { arc: { ...arc, result: "fail" } }), { trustedForwarders: ["example.net"] })).kind).toBe("reject");
});

test("allowDomains covers the domain and its subdomains only", async () => {
  expect((await decide(finding({ domain: "news.example.org" }), { allowDomains: ["example.org"] })).kind).toBe("continue");
  expect((await decide(finding({ domain: "badexample.org" }), { allowDomains: ["example.org"] })).kind).toBe("reject");
});

test("a failure after a DNS temperror in SPF or DKIM is 451 4.4.3, not a reject", async () => {
  expect(await decide(finding({}, { temperrors: ["dkim"] }))).toMatchObject({ kind: "tempfail", reply: { code: 451, enhanced: "4.4.3" } });
  expect((await decide(finding({}, { temperrors: ["dkim"] }), { onTemperror: "apply" })).kind).toBe("reject");
  expect(() => dmarcPolicy({ onReject: "bounce" }, config)).toThrow(/handler dmarc-policy/);
});
