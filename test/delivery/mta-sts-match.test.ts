// MTA-STS pure rules: MX pattern matching (RFC 8461 §4.1), policy parsing with the max_age cap
// (§3.2), and the TLS requirement handed to the SMTP client (§5, RFC 8689 §4.2.1).

import { describe, expect, test } from "bun:test";
import { mxMatchesPolicy, tlsRequirement, type StsPolicy } from "../../src/delivery/mta-sts.ts";
import { STS_MAX_AGE_LIMIT, parseStsPolicy } from "../../src/delivery/mta-sts-parse.ts";

const policy = (mode: StsPolicy["mode"], mx: string[]): StsPolicy => ({ id: "1", mode, mx, maxAge: 86400 });

describe("mxMatchesPolicy (RFC 8461 §4.1)", () => {
  const p = policy("enforce", ["mail.example.com", "*.example.net", "*.mx.example.org"]);
  const cases: [string, boolean][] = [
    ["mail.example.com", true],
    ["MAIL.Example.COM", true],
    ["mail.example.com.", true],
    ["mx1.mail.example.com", false],
    ["example.com", false],
    ["other.example.com", false],
    ["mx1.example.net", true],
    ["MX1.EXAMPLE.NET.", true],
    // the wildcard is exactly one whole left-most label
    ["example.net", false],
    ["a.b.example.net", false],
    ["xexample.net", false],
    ["a.mx.example.org", true],
    ["mx.example.org", false],
    ["a.b.mx.example.org", false],
    ["*.example.net", false],
    ["", false],
  ];
  for (const [host, want] of cases) {
    test(`${JSON.stringify(host)} → ${want}`, () => {
      expect(mxMatchesPolicy(p, host)).toBe(want);
    });
  }

  test("matching ignores the mode: a testing policy still tells matching from non-matching", () => {
    expect(mxMatchesPolicy(policy("testing", ["mx.example.com"]), "mx.example.com")).toBe(true);
    expect(mxMatchesPolicy(policy("testing", ["mx.example.com"]), "evil.example.com")).toBe(false);
    expect(mxMatchesPolicy(policy("none", []), "mx.example.com")).toBe(false);
  });
});

describe("parseStsPolicy (RFC 8461 §3.2)", () => {
  test("a CRLF policy with several mx lines", () => {
    const got = parseStsPolicy("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n");
    expect(got).toEqual({ mode: "enforce", mx: ["mx1.example.com", "*.example.net"], maxAge: 604800, maxAgeCapped: false });
  });

  test("max_age above the limit is lowered to 31557600; only the first max_age counts", () => {
    const got = parseStsPolicy("version: STSv1\nmode: testing\nmx: a.example\nmax_age: 31557601\nmax_age: 5\n");
    expect(got.maxAge).toBe(STS_MAX_AGE_LIMIT);
    expect(got.maxAgeCapped).toBe(true);
    const first = parseStsPolicy("version: STSv1\nmode: testing\nmx: a.example\nmax_age: 5\nmax_age: 99999999999\n");
    expect(first).toMatchObject({ maxAge: 5, maxAgeCapped: false });
  });

  test("invalid files throw: wrong version, bad mode, no mx in enforce, non-numeric max_age", () => {
    expect(() => parseStsPolicy("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 5\n")).toThrow();
    expect(() => parseStsPolicy("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 5\n")).toThrow();
    expect(() => parseStsPolicy("version: STSv1\nmode: enforce\nmax_age: 5\n")).toThrow();
    expect(() => parseStsPolicy("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: soon\n")).toThrow();
    expect(() => parseStsPolicy("")).toThrow();
  });
});

describe("tlsRequirement", () => {
  const enforce = policy("enforce", ["*.mx.example.com"]);

  test("enforce: TLS required, certificate verified, only matching MX hosts", () => {
    const r = tlsRequirement(enforce, false);
    expect(r).toMatchObject({ requireTls: true, verifyCert: true });
    expect(r.allowedMx?.("a.mx.example.com")).toBe(true);
    expect(r.allowedMx?.("evil.example.com")).toBe(false);
  });

  test("testing, none and no policy: opportunistic, every MX allowed", () => {
    for (const p of [policy("testing", ["mx.example.com"]), policy("none", []), null]) {
      expect(tlsRequirement(p, false)).toEqual({ requireTls: false, verifyCert: false });
    }
  });

  test("REQUIRETLS: TLS and a valid certificate whatever the policy", () => {
    expect(tlsRequirement(null, true)).toEqual({ requireTls: true, verifyCert: true });
    expect(tlsRequirement(policy("none", []), true)).toEqual({ requireTls: true, verifyCert: true });
    const e = tlsRequirement(enforce, true);
    expect(e).toMatchObject({ requireTls: true, verifyCert: true });
    expect(e.allowedMx?.("evil.example.com")).toBe(false);
  });

  test("REQUIRETLS with a testing policy: its mx list restricts the MX hosts (RFC 8689 §4.2.1)", () => {
    const r = tlsRequirement(policy("testing", ["mx.example.com"]), true);
    expect(r.allowedMx?.("mx.example.com")).toBe(true);
    expect(r.allowedMx?.("evil.example.com")).toBe(false);
  });
});
