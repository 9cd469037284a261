// Tests of parameterised field values: RFC 2045 syntax with comments and quoting, RFC 2231
// continuations and charsets, RFC 2047 words in parameters, and the defaults.

import { describe, expect, test } from "bun:test";
import { parseContentType, parseDisposition, textPlain } from "../../../src/protocol/mime/content-type.ts";
import { parseParameterized } from "../../../src/protocol/mime/params.ts";

const cases: [string, string, Record<string, string>][] = [
  ["text/plain", "text/plain", {}],
  ["text/plain; charset=us-ascii (Plain text)", "text/plain", { charset: "us-ascii" }],
  ['text/plain; charset="us-ascii"', "text/plain", { charset: "us-ascii" }],
  ['x; name=" spaced ; value "', "x", { name: " spaced ; value " }],
  ['x; name="esc\\"aped"', "x", { name: 'esc"aped' }],
  ["x; A=1; a=2", "x", { a: "1" }],
  ["x;; flag; b = 2 ;", "x", { b: "2" }],
  ["x; name=unquoted with spaces.pdf", "x", { name: "unquoted with spaces.pdf" }],
  ["x; name=\"unterminated", "x", { name: "unterminated" }],
  ["x (comment; with semicolon) ; k=v", "x", { k: "v" }],
  // RFC 2231 §3: continuations, in or out of order.
  ["x; url*0=\"ftp://\"; url*1=\"example.com/\"; url*2=f", "x", { url: "ftp://example.com/f" }],
  ["x; u*2=c; u*0=a; u*1=b", "x", { u: "abc" }],
  // RFC 2231 §4: charset and language, percent-encoding, mixed segments.
  ["x; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", "x", { title: "This is ***fun***" }],
  ["x; t*0*=utf-8''%C3%A9t; t*1=%41; t*2*=%C3%A9", "x", { t: "ét%41é" }],
  ["x; t*=iso-8859-1''caf%E9", "x", { t: "café" }],
  ["x; t*=windows-1251''%CF%F0%E8", "x", { t: "При" }],
  ["x; t*=''plain%20ascii", "x", { t: "plain ascii" }],
  ["x; t*=utf-8''bad%zz%4", "x", { t: "bad%zz%4" }],
  ["x; t*=unknown-charset''ok", "x", { t: "ok" }],
  // RFC 6266 §4.3: the extended form wins over the plain fallback in either order.
  ["x; filename=fallback.txt; filename*=utf-8''%E2%82%AC.txt", "x", { filename: "€.txt" }],
  ["x; filename*=utf-8''%E2%82%AC.txt; filename=fallback.txt", "x", { filename: "€.txt" }],
  // RFC 2047 words in parameters are non-standard but common.
  ['x; name="=?UTF-8?B?w6l0w6kucGRm?="', "x", { name: "été.pdf" }],
  ['x; name="=?iso-8859-1?Q?caf=E9?= menu.txt"', "x", { name: "café menu.txt" }],
  // Prototype keys stay plain data.
  ["x; __proto__=p; constructor=c", "x", Object.fromEntries([["__proto__", "p"], ["constructor", "c"]])],
];

describe("parseParameterized", () => {
  for (const [input, value, params] of cases) {
    test(input, () => {
      const parsed = parseParameterized(input);
      expect(parsed.value).toBe(value);
      expect(Object.entries(parsed.params)).toEqual(Object.entries(params));
      expect(Object.getPrototypeOf(parsed.params)).toBe(Object.prototype);
    });
  }

  test("__proto__ is an own, JSON-visible key", () => {
    const parsed = parseParameterized("x; __proto__=p");
    expect(Object.hasOwn(parsed.params, "__proto__")).toBe(true);
    expect(JSON.stringify(parsed.params)).toBe('{"__proto__":"p"}');
  });
});

describe("parseContentType", () => {
  test("lower-cases type and subtype, keeps parameter values", () => {
    expect(parseContentType("Multipart/Mixed; Boundary=\"AbC\"", textPlain)).toEqual({
      type: "multipart",
      subtype: "mixed",
      params: { boundary: "AbC" },
    });
  });

  test("text/* gets charset=us-ascii when none is given (RFC 2046 §4.1.2)", () => {
    expect(parseContentType("text/html", textPlain).params).toEqual({ charset: "us-ascii" });
    expect(parseContentType("text/html; charset=UTF-8", textPlain).params).toEqual({ charset: "UTF-8" });
    expect(parseContentType("image/gif", textPlain).params).toEqual({});
  });

  test("absent or invalid means the context default", () => {
    const digest = () => ({ type: "message", subtype: "rfc822", params: {} });
    expect(parseContentType(null, digest)).toEqual(digest());
    expect(parseContentType("nonsense", digest)).toEqual(digest());
  });
});

describe("parseDisposition", () => {
  test("value lower-cased, parameters decoded", () => {
    expect(parseDisposition("Attachment; filename*=utf-8''%F0%9F%93%8E.txt; size=12")).toEqual({
      value: "attachment",
      params: { filename: "📎.txt", size: "12" },
    });
  });

  test("absent or empty is null", () => {
    expect(parseDisposition(null)).toBeNull();
    expect(parseDisposition("  ; filename=x")).toBeNull();
  });
});
