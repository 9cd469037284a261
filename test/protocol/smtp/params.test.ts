// ESMTP parameter tests: MAIL and RCPT parameters (RFC 1870, 6152, 3030, 6531, 3461, 4954,
// 8689, 6533), xtext round-trips and every refused form.
import { describe, expect, test } from "bun:test";
import { decodeXtext, encodeXtext, parseMailParams, parseRcptParams } from "../../../src/protocol/smtp/params.ts";
import type { MailParams, RcptParams } from "../../../src/protocol/smtp/params.ts";

const none: MailParams = { size: null, body: null, smtputf8: false, ret: null, envid: null, auth: null, requireTls: false };

describe("xtext (RFC 3461 §4)", () => {
  test.each([
    ["", ""],
    ["abc", "abc"],
    ["a+2Bb", "a+b"],
    ["a+3Db", "a=b"],
    ["a+20b", "a b"],
    ["+3C+3E", "<>"],
    ["<>", "<>"],
    ["x+C3+A9", "x\u00e9"],
    ["~!\"#$%&'()*,-./:;<>?@[\\]^_`{|}", "~!\"#$%&'()*,-./:;<>?@[\\]^_`{|}"],
  ])("decodeXtext(%p) = %p", (enc, dec) => expect(decodeXtext(enc)).toBe(dec));

  test.each([
    ["lower-case hex", "+2b"],
    ["short hexchar", "+2"],
    ["trailing +", "a+"],
    ["non-hex", "+ZZ"],
    ["raw =", "a=b"],
    ["space", "a b"],
    ["raw non-ASCII", "\u00e9"],
    ["control", "a\u0001"],
    ["lone UTF-8 lead byte", "+C3"],
    ["invalid UTF-8", "+FF+FE"],
  ])("decodeXtext rejects %s", (_n, enc) => expect(decodeXtext(enc)).toBeNull());

  test.each([
    "", "plain", "a+b=c", "with space", "<>", "tab\there", "nl\r\n", "\u00e9\u65e5\u{1f600}", "+++===", "\u0000\u007f",
  ])("round trip %p", (s) => {
    const enc = encodeXtext(s);
    expect(enc).toMatch(/^(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})*$/);
    expect(decodeXtext(enc)).toBe(s);
  });

  test("encodeXtext uses upper-case hex", () => {
    expect(encodeXtext("a+b=c d")).toBe("a+2Bb+3Dc+20d");
    expect(encodeXtext("\u00e9")).toBe("+C3+A9");
  });
});

describe("MAIL parameters: valid", () => {
  const cases: [string, Partial<MailParams>][] = [
    ["", none],
    ["   ", none],
    ["SIZE=0", { size: 0 }],
    ["size=12345", { size: 12345 }],
    ["SIZE=9007199254740991", { size: 9007199254740991 }],
    ["BODY=7BIT", { body: "7BIT" }],
    ["body=8bitmime", { body: "8BITMIME" }],
    ["BODY=BinaryMIME", { body: "BINARYMIME" }],
    ["SMTPUTF8", { smtputf8: true }],
    ["smtputf8", { smtputf8: true }],
    ["REQUIRETLS", { requireTls: true }],
    ["RET=FULL", { ret: "FULL" }],
    ["ret=hdrs", { ret: "HDRS" }],
    ["ENVID=QQ314159", { envid: "QQ314159" }],
    ["ENVID=a+2Bb+20c", { envid: "a+b c" }],
    [`ENVID=${"x".repeat(100)}`, { envid: "x".repeat(100) }],
    ["AUTH=<>", { auth: "<>" }],
    ["AUTH=e+3Dmc2@example.com", { auth: "e=mc2@example.com" }],
    [
      "SIZE=1000 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id1 AUTH=<> REQUIRETLS",
      { size: 1000, body: "8BITMIME", smtputf8: true, ret: "HDRS", envid: "id1", auth: "<>", requireTls: true },
    ],
    ["SIZE=1  BODY=7BIT", { size: 1, body: "7BIT" }],
    // An identical repeat is tolerated (Python's smtplib sends SMTPUTF8 twice).
    ["SMTPUTF8 SMTPUTF8 BODY=8BITMIME", { smtputf8: true, body: "8BITMIME" }],
    ["SIZE=10 SIZE=10", { size: 10 }],
  ];
  test.each(cases)("%p", (s, expected) => {
    expect(parseMailParams(s)).toEqual({ ok: true, params: { ...none, ...expected } });
  });
});

describe("MAIL parameters: refused", () => {
  const cases: [string, number][] = [
    ["SIZE=", 501],
    ["SIZE", 501],
    ["SIZE=abc", 501],
    ["SIZE=-1", 501],
    ["SIZE=1e3", 501],
    ["SIZE=1.5", 501],
    ["SIZE=+1", 501],
    ["SIZE=123456789012345678901", 501],
    ["SIZE=9007199254740992", 501],
    ["BODY=", 501],
    ["BODY", 501],
    ["BODY=8BIT", 501],
    ["BODY=QUOTED", 501],
    ["SMTPUTF8=YES", 501],
    ["SMTPUTF8=", 501],
    ["REQUIRETLS=1", 501],
    ["RET=ALL", 501],
    ["RET", 501],
    ["ENVID=", 501],
    ["ENVID", 501],
    ["ENVID=a+2b", 501],
    ["ENVID=a+0Ab", 501],
    ["ENVID=+C3+A9", 501],
    [`ENVID=${"x".repeat(101)}`, 501],
    ["AUTH=", 501],
    ["AUTH", 501],
    ["AUTH=+4", 501],
    ["SIZE=1 SIZE=2", 501],
    ["SIZE=1 size=2", 501],
    ["SMTPUTF8 SMTPUTF8=x", 501],
    ["BODY=7BIT BODY=8BITMIME", 501],
    ["-X=1", 501],
    ["=1", 501],
    ["X_Y=1", 501],
    ["SIZE=1=2", 501],
    ["SIZE=\u0001", 501],
    ["FOO=1", 555],
    ["XFOO", 555],
    ["NOTIFY=NEVER", 555],
    ["ORCPT=rfc822;a@b", 555],
    ["SIZE=10 FOO", 555],
    ["FOO SIZE=x", 555], // the first problem wins
  ];
  test.each(cases)("%p → %d", (s, code) => {
    expect(parseMailParams(s)).toMatchObject({ ok: false, reply: { code, enhanced: "5.5.4" } });
  });
});

describe("RCPT parameters", () => {
  const valid: [string, Partial<RcptParams>][] = [
    ["", {}],
    ["NOTIFY=NEVER", { notify: { never: true, success: false, failure: false, delay: false } }],
    ["notify=never", { notify: { never: true, success: false, failure: false, delay: false } }],
    ["NOTIFY=SUCCESS", { notify: { never: false, success: true, failure: false, delay: false } }],
    ["NOTIFY=success,DELAY", { notify: { never: false, success: true, failure: false, delay: true } }],
    ["NOTIFY=FAILURE,SUCCESS,DELAY", { notify: { never: false, success: true, failure: true, delay: true } }],
    ["ORCPT=rfc822;bob@x", { orcpt: { addrType: "rfc822", address: "bob@x" } }],
    ["ORCPT=RFC822;b+2Bc@x", { orcpt: { addrType: "rfc822", address: "b+c@x" } }],
    ["ORCPT=rfc822;a+20b@x", { orcpt: { addrType: "rfc822", address: "a b@x" } }],
    ["ORCPT=x400;c+3Dus", { orcpt: { addrType: "x400", address: "c=us" } }],
    ["ORCPT=utf-8;bob@x", { orcpt: { addrType: "utf-8", address: "bob@x" } }],
    ["ORCPT=UTF-8;b\\x{E9}@x", { orcpt: { addrType: "utf-8", address: "b\u00e9@x" } }],
    ["ORCPT=utf-8;\\x{4E2D}\\x{6587}@x", { orcpt: { addrType: "utf-8", address: "\u4e2d\u6587@x" } }],
    ["ORCPT=utf-8;\\x{1F600}@x", { orcpt: { addrType: "utf-8", address: "\u{1f600}@x" } }],
    ["ORCPT=utf-8;a\\x{2B}b\\x{3D}c\\x{20}\\x{5C}@x", { orcpt: { addrType: "utf-8", address: "a+b=c \\@x" } }],
    ["ORCPT=utf-8;b\u00e9@x", { orcpt: { addrType: "utf-8", address: "b\u00e9@x" } }],
    ["NOTIFY=DELAY ORCPT=rfc822;a@b", { notify: { never: false, success: false, failure: false, delay: true }, orcpt: { addrType: "rfc822", address: "a@b" } }],
    [`ORCPT=rfc822;${"a".repeat(500)}`, { orcpt: { addrType: "rfc822", address: "a".repeat(500) } }],
  ];
  test.each(valid)("%p", (s, expected) => {
    expect(parseRcptParams(s)).toEqual({ ok: true, params: { notify: null, orcpt: null, ...expected } });
  });

  const invalid: [string, number][] = [
    ["NOTIFY", 501],
    ["NOTIFY=", 501],
    ["NOTIFY=NEVER,SUCCESS", 501],
    ["NOTIFY=SUCCESS,NEVER", 501],
    ["NOTIFY=SUCCESS,SUCCESS", 501],
    ["NOTIFY=SUCCESS,", 501],
    ["NOTIFY=,SUCCESS", 501],
    ["NOTIFY=ALWAYS", 501],
    ["NOTIFY=NEVER NOTIFY=SUCCESS", 501],
    ["ORCPT", 501],
    ["ORCPT=", 501],
    ["ORCPT=bob@x", 501],
    ["ORCPT=;bob@x", 501],
    ["ORCPT=rfc822;", 501],
    ["ORCPT=rfc822;+0A", 501],
    ["ORCPT=rfc822;a+2b", 501],
    ["ORCPT=rfc822;+C3+A9@x", 501],
    ["ORCPT=rfc_822;a@b", 501],
    [`ORCPT=rfc822;${"a".repeat(501)}`, 501],
    ["ORCPT=utf-8;a\\x{41}@x", 501],
    ["ORCPT=utf-8;a\\x{0041}@x", 501],
    ["ORCPT=utf-8;a\\x{00E9}@x", 501],
    ["ORCPT=utf-8;a\\x{D800}@x", 501],
    ["ORCPT=utf-8;a\\x{110000}@x", 501],
    ["ORCPT=utf-8;a\\x{00}@x", 501],
    ["ORCPT=utf-8;a\\x{e9}@x", 501],
    ["ORCPT=utf-8;a\\x{E9@x", 501],
    ["ORCPT=utf-8;a\\b@x", 501],
    ["ORCPT=utf-8;a+2B@x", 501],
    ["ORCPT=utf-8;a\u0085@x", 501],
    ["ORCPT=rfc822;a@b ORCPT=rfc822;c@d", 501],
    ["SIZE=1", 555],
    ["SMTPUTF8", 555],
    ["XFOO=bar", 555],
  ];
  test.each(invalid)("%p → %d", (s, code) => {
    expect(parseRcptParams(s)).toMatchObject({ ok: false, reply: { code, enhanced: "5.5.4" } });
  });
});
