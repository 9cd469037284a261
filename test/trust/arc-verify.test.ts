// ARC verify through message-auth with a real seal made by mailauth: arc=pass and the sealer's
// domain, then dmarc-policy trusting that forwarder (RFC 8617 §7.2) on the real finding.

import { beforeAll, expect, test } from "bun:test";
import { sealMessage } from "mailauth";
import { messageAuth } from "../../handlers/message-auth.ts";
import { dmarcPolicy } from "../../handlers/dmarc-policy.ts";
import { generateDkimKeyPair, dkimRecordValue, type DkimKeyPair } from "../../src/delivery/dkim-keys.ts";
import { messageAuthFinding } from "../../src/trust/auth-findings.ts";
import { fakeConfig, fakeCtx, fakeResolver, fakeSession, mail, run, type FakeZone } from "./mailauth-fakes.ts";

const config = fakeConfig();
let key: DkimKeyPair;
const zone: FakeZone = {};

beforeAll(async () => {
  key = await generateDkimKeyPair("rsa-sha256");
  Object.assign(zone, {
    "TXT arc._domainkey.lists.example.net": [dkimRecordValue("rsa-sha256", key.publicKey)],
    "TXT _dmarc.example.org": ["v=DMARC1; p=reject"],
  });
});

/** A list server's ARC set on an unsigned message from a p=reject domain. */
async function sealed(tamper = false): Promise<string> {
  const msg = mail("ceo@example.org", "posted to the list\r\n");
  const headers = await sealMessage(Buffer.from(msg), {
    signingDomain: "lists.example.net",
    selector: "arc",
    privateKey: key.privateKey,
    cv: "none",
    authResults: "lists.example.net; spf=pass smtp.mailfrom=ceo@example.org; dmarc=pass header.from=example.org",
  });
  const out = headers.toString() + msg;
  return tamper ? out.replace("posted to the list", "changed after sealing") : out;
}

async function check(message: string, policyOpts: unknown) {
  const ctx = fakeCtx(config, fakeResolver(zone).resolve);
  const payload = {
    session: fakeSession({ remoteAddress: "198.51.100.20" }),
    envelope: { transactionId: "t", mailFrom: "list-bounces@lists.example.net", mailParams: {}, recipients: [] },
    message: new TextEncoder().encode(message),
  };
  await run(messageAuth({}, config)[0], payload, ctx);
  const v = await run(dmarcPolicy(policyOpts, config)[0], payload, ctx);
  return { v, f: messageAuthFinding(ctx.results)! };
}

test("a valid seal is arc=pass with the sealer's domain; a trusted sealer overrides DMARC fail", async () => {
  const { v, f } = await check(await sealed(), { trustedForwarders: ["lists.example.net"] });
  expect(f.arc).toEqual({ result: "pass", instance: 1, sealer: "lists.example.net" });
  expect(f.dmarc?.result).toBe("fail");
  expect(f.authResults.some((x) => x.startsWith("arc=pass"))).toBe(true);
  expect(v.kind).toBe("continue");
  expect((v as { note: string }).note).toContain("trusted forwarder lists.example.net");
});

test("the same seal from a forwarder not in the list does not override", async () => {
  expect((await check(await sealed(), {})).v.kind).toBe("reject");
});

test("a message changed after sealing is arc=fail, and DMARC's reject applies", async () => {
  const { v, f } = await check(await sealed(true), { trustedForwarders: ["lists.example.net"] });
  expect(f.arc?.result).toBe("fail");
  expect(v.kind).toBe("reject");
});
