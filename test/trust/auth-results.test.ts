// auth-results: the header built from every handler's fragments (RFC 8601 §2.2) and the
// removal of fields claiming our authserv-id (§5), with its pattern checked on its own.

import { expect, test } from "bun:test";
import { authResults } from "../../handlers/auth-results.ts";
import { authResultsValue, foldResinfo, ownAuthservPattern } from "../../src/trust/auth-results-header.ts";
import type { HeaderEdits } from "../../src/events/verdict.ts";
import { fakeConfig, fakeCtx, fakeResolver, fakeSession, run } from "./mailauth-fakes.ts";

test("the removal pattern matches our authserv-id only, with version, comments or quotes", () => {
  const re = new RegExp(ownAuthservPattern("mx.example.test"), "i");
  for (const yes of ["mx.example.test; spf=pass", "MX.Example.Test;dkim=pass", "  mx.example.test 1; none", "(forged) mx.example.test ; spf=pass", '"mx.example.test"; none', "mx.example.test"]) {
    expect({ yes, m: re.test(yes) }).toEqual({ yes, m: true });
  }
  for (const no of ["elsewhere.test; spf=pass", "mx.example.test.evil; spf=pass", "mxXexample.test; none", "evil.mx.example.test; none", "x; mx.example.test; none"]) {
    expect({ no, m: re.test(no) }).toEqual({ no, m: false });
  }
});

test("value: authserv-id then one resinfo per line; none when empty; long ones folded", () => {
  expect(authResultsValue("mx.example.test", [])).toBe("mx.example.test; none");
  expect(authResultsValue("mx.example.test", ["spf=pass smtp.mailfrom=a@b.test", "dkim=pass header.d=b.test"])).toBe(
    "mx.example.test;\r\n\tspf=pass smtp.mailfrom=a@b.test;\r\n\tdkim=pass header.d=b.test",
  );
  const long = `spf=pass (${"word ".repeat(30).trim()}) smtp.mailfrom=a@b.test`;
  const folded = foldResinfo(long);
  expect(folded.split("\r\n").every((l) => l.length <= 80)).toBe(true);
  expect(folded.replace(/\r\n\s+/g, " ")).toBe(long);
  const quoted = `"${"a ".repeat(60)}"`;
  expect(foldResinfo(`x ${quoted}`).split(/\r\n\s+/)).toEqual(["x", quoted]); // never inside quotes
});

test("collects every handler's fragments in chain order, removes forged fields, skips trusted", async () => {
  const config = fakeConfig({ trustedNetworks: ["10.0.0.0/8"] });
  const results = new Map<string, unknown>([
    ["spf", { authResults: ["spf=pass smtp.mailfrom=a@b.test"] }],
    ["iprev", { authResults: ["iprev=pass policy.iprev=192.0.2.1"] }],
    ["message-auth", { authResults: ["dkim=pass header.d=b.test", "dmarc=pass header.from=b.test"] }],
    ["other", { note: "no fragments" }],
  ]);
  const h = authResults({}, config)[0];
  const v = await run(h, { session: fakeSession() }, fakeCtx(config, fakeResolver({}).resolve, results));
  const edits = (v as { headers: HeaderEdits }).headers;
  expect(edits.add?.[0]?.name).toBe("Authentication-Results");
  expect(edits.add?.[0]?.value.replace(/\r\n\t/g, " ")).toBe(
    "mx.example.test; spf=pass smtp.mailfrom=a@b.test; iprev=pass policy.iprev=192.0.2.1; dkim=pass header.d=b.test; dmarc=pass header.from=b.test",
  );
  expect(edits.remove).toEqual([{ name: "Authentication-Results", pattern: ownAuthservPattern("mx.example.test") }]);

  const trusted = await run(h, { session: fakeSession({ remoteAddress: "10.1.2.3" }) }, fakeCtx(config, fakeResolver({}).resolve, results));
  expect((trusted as { headers: HeaderEdits }).headers.add).toBeUndefined();
  expect((trusted as { headers: HeaderEdits }).headers.remove?.length).toBe(1);
});

test("authservId from config.trust; alsoRemove adds patterns; bad options name the handler", async () => {
  const config = fakeConfig({ trustedNetworks: [], authservId: "auth.example.test" });
  const v = await run(authResults({ alsoRemove: ["mx2.example.test"] }, config)[0], { session: fakeSession() }, fakeCtx(config, fakeResolver({}).resolve));
  const edits = (v as { headers: HeaderEdits }).headers;
  expect(edits.add?.[0]?.value).toBe("auth.example.test; none");
  expect(edits.remove?.map((r) => r.pattern)).toEqual([ownAuthservPattern("auth.example.test"), ownAuthservPattern("mx2.example.test")]);
  expect(() => authResults({ alsoRemove: [""] }, config)).toThrow(/handler auth-results/);
});
