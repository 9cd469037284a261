// SASL LOGIN (draft-murchison-sasl-login) server state machine.
import { describe, expect, test } from "bun:test";
import { encodeBase64 } from "../../../src/protocol/sasl/base64.ts";
import { createSasl, type SaslStep } from "../../../src/protocol/sasl/mod.ts";

const b = (s: string) => new TextEncoder().encode(s);
const challengeText = (s: SaslStep) => (s.type === "challenge" ? new TextDecoder().decode(s.data) : `<${s.type}>`);

describe("LOGIN flow", () => {
  test("Username: / Password: challenges (wire: VXNlcm5hbWU6 / UGFzc3dvcmQ6)", () => {
    const s = createSasl("LOGIN")!;
    const c1 = s.start(null);
    expect(challengeText(c1)).toBe("Username:");
    expect(c1.type === "challenge" && encodeBase64(c1.data)).toBe("VXNlcm5hbWU6");
    const c2 = s.respond(b("tim"));
    expect(c2.type === "challenge" && encodeBase64(c2.data)).toBe("UGFzc3dvcmQ6");
    expect(s.respond(b("secret"))).toEqual({ type: "verify-password", authcid: "tim", authzid: null, password: "secret" });
    expect(s.passwordResult(true)).toEqual({ type: "success", authcid: "tim", authzid: null });
  });

  test("initial response is the user name", () => {
    const s = createSasl("login")!;
    expect(challengeText(s.start(b("tim")))).toBe("Password:");
    expect(s.respond(b("pw")).type).toBe("verify-password");
    expect(s.passwordResult(false)).toEqual({ type: "failure", reason: "credentials" });
  });

  test.each<[string, (string | "*")[], SaslStep]>([
    ["abort at user name", ["*"], { type: "failure", reason: "aborted" }],
    ["abort at password", ["tim", "*"], { type: "failure", reason: "aborted" }],
    ["empty user name", [""], { type: "failure", reason: "malformed" }],
    ["empty password", ["tim", ""], { type: "failure", reason: "malformed" }],
    ["NUL in user name", ["t\0m"], { type: "failure", reason: "malformed" }],
    ["control char in password", ["tim", "p\u0001w"], { type: "failure", reason: "malformed" }],
    ["SASLprep'd user name", ["\u2168", "pw"], { type: "verify-password", authcid: "IX", authzid: null, password: "pw" }],
  ])("%s", (_name, responses, expected) => {
    const s = createSasl("LOGIN")!;
    s.start(null);
    let last: SaslStep = { type: "failure", reason: "malformed" };
    for (const r of responses) last = s.respond(r === "*" ? "*" : b(r));
    expect(last).toEqual(expected);
  });

  test("respond after the exchange has ended fails", () => {
    const s = createSasl("LOGIN")!;
    s.start(null);
    s.respond(b("tim"));
    s.respond(b("pw"));
    expect(s.respond(b("again"))).toEqual({ type: "failure", reason: "malformed" });
    expect(s.passwordResult(true)).toEqual({ type: "failure", reason: "malformed" });
  });
});
