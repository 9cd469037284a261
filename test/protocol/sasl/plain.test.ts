// SASL PLAIN (RFC 4616) server state machine.
import { describe, expect, test } from "bun:test";
import { createSasl, type SaslStep } from "../../../src/protocol/sasl/mod.ts";

const b = (s: string) => new TextEncoder().encode(s);

describe("PLAIN messages", () => {
  test.each<[string, string, SaslStep]>([
    ["simple", "\0tim\0tanstaaftanstaaf", { type: "verify-password", authcid: "tim", authzid: null, password: "tanstaaftanstaaf" }],
    ["authzid = authcid", "tim\0tim\0pw", { type: "verify-password", authcid: "tim", authzid: "tim", password: "pw" }],
    ["utf-8 + SASLprep", "\0us\u00ADer\0p\u00E4ss\u00A0word", { type: "verify-password", authcid: "user", authzid: null, password: "p\u00E4ss word" }],
    ["authzid other user", "admin\0tim\0pw", { type: "failure", reason: "authzid" }],
    ["one NUL", "tim\0pw", { type: "failure", reason: "malformed" }],
    ["three NULs", "\0tim\0pw\0x", { type: "failure", reason: "malformed" }],
    ["empty authcid", "\0\0pw", { type: "failure", reason: "malformed" }],
    ["empty password", "\0tim\0", { type: "failure", reason: "malformed" }],
    ["no NUL", "timpw", { type: "failure", reason: "malformed" }],
    ["prohibited char", "\0tim\0p\u0007w", { type: "failure", reason: "malformed" }],
  ])("%s", (_name, message, expected) => {
    expect(createSasl("PLAIN")!.start(b(message))).toEqual(expected);
  });

  test("invalid UTF-8 is malformed", () => {
    expect(createSasl("plain")!.start(new Uint8Array([0, 0xc3, 0x28, 0, 0x41]))).toEqual({ type: "failure", reason: "malformed" });
  });
});

describe("PLAIN flow", () => {
  test("no initial response → empty challenge, then message, then success", () => {
    const s = createSasl("PLAIN")!;
    expect(s.start(null)).toEqual({ type: "challenge", data: new Uint8Array(0) });
    expect(s.respond(b("\0tim\0pw")).type).toBe("verify-password");
    expect(s.passwordResult(true)).toEqual({ type: "success", authcid: "tim", authzid: null });
  });
  test("wrong password → credentials", () => {
    const s = createSasl("PLAIN")!;
    s.start(b("\0tim\0pw"));
    expect(s.passwordResult(false)).toEqual({ type: "failure", reason: "credentials" });
  });
  test("'*' aborts", () => {
    const s = createSasl("PLAIN")!;
    s.start(null);
    expect(s.respond("*")).toEqual({ type: "failure", reason: "aborted" });
  });
  test("out-of-order calls fail instead of throwing", () => {
    const s = createSasl("PLAIN")!;
    expect(s.passwordResult(true)).toEqual({ type: "failure", reason: "malformed" });
    const t = createSasl("PLAIN")!;
    t.start(b("\0tim\0pw"));
    expect(t.respond(b("x"))).toEqual({ type: "failure", reason: "malformed" });
    expect(t.passwordResult(true)).toEqual({ type: "failure", reason: "malformed" });
    const u = createSasl("PLAIN")!;
    expect(u.scramCredentials(null)).toEqual({ type: "failure", reason: "malformed" });
  });
  test("unknown mechanism", () => {
    expect(createSasl("CRAM-MD5")).toBeNull();
  });
});
