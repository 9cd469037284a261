// Path grammar tests (RFC 5321 §4.1.2, §4.1.3, §4.5.3.1; RFC 6531): valid and invalid paths,
// canonical addresses, source routes, literals, UTF-8 and length limits.
import { describe, expect, test } from "bun:test";
import {
  findPathEnd,
  isDomain,
  parseAddressLiteral,
  parseForwardPath,
  parsePath,
  parseReversePath,
} from "../../../src/protocol/smtp/address.ts";
import type { Path } from "../../../src/protocol/smtp/address.ts";

const plain = { isNull: false, isLiteral: false, isPostmaster: false, needsSmtputf8: false, routeIgnored: false };

describe("parsePath: valid", () => {
  const cases: [string, Partial<Path>][] = [
    ["<>", { isNull: true, local: "", domain: "", address: "" }],
    ["<a@b.c>", { ...plain, local: "a", domain: "b.c", address: "a@b.c" }],
    ["<A.B@EXAMPLE.Com>", { ...plain, local: "A.B", domain: "example.com", address: "A.B@example.com" }],
    ["<first.last+tag@sub-1.example.org>", { local: "first.last+tag", address: "first.last+tag@sub-1.example.org" }],
    ["<a%b@local>", { ...plain, local: "a%b", domain: "local", address: "a%b@local" }],
    ["<foo!bar@local>", { ...plain, local: "foo!bar", address: "foo!bar@local" }],
    ["<!#$%&'*+-/=?^_`{|}~@x>", { local: "!#$%&'*+-/=?^_`{|}~" }],
    ["<u@localhost>", { domain: "localhost" }],
    ["<u@123.example>", { domain: "123.example" }],
    ['<"x@foreign"@local>', { ...plain, local: "x@foreign", domain: "local", address: '"x@foreign"@local' }],
    ['<"abc"@x.y>', { local: "abc", address: "abc@x.y" }],
    ['<"a b"@x>', { local: "a b", address: '"a b"@x' }],
    ['<"a\\"b"@x>', { local: 'a"b', address: '"a\\"b"@x' }],
    ['<"a\\\\b"@x>', { local: "a\\b", address: '"a\\\\b"@x' }],
    ['<"a\\xb"@x>', { local: "axb", address: "axb@x" }],
    ['<"a>b"@x>', { local: "a>b", address: '"a>b"@x' }],
    ['<"a..b"@x>', { local: "a..b", address: '"a..b"@x' }],
    ["<@r1.example,@r2.example:u@d.example>", { ...plain, routeIgnored: true, local: "u", address: "u@d.example" }],
    ["<@r1:u@d>", { routeIgnored: true, address: "u@d" }],
    ["<u@[1.2.3.4]>", { ...plain, isLiteral: true, domain: "[1.2.3.4]", address: "u@[1.2.3.4]" }],
    ["<u@[255.255.255.0]>", { isLiteral: true }],
    ["<u@[IPv6:2001:DB8::1]>", { isLiteral: true, domain: "[IPv6:2001:db8::1]" }],
    ["<u@[ipv6:::1]>", { isLiteral: true, domain: "[IPv6:::1]" }],
    ["<u@[IPv6:1:2:3:4:5:6:7:8]>", { isLiteral: true }],
    ["<u@[IPv6:1:2:3:4:5:6::]>", { isLiteral: true }],
    ["<u@[IPv6:::ffff:1.2.3.4]>", { isLiteral: true, domain: "[IPv6:::ffff:1.2.3.4]" }],
    ["<u@[IPv6:1:2:3:4:5:6:1.2.3.4]>", { isLiteral: true }],
    ["<u@[IPv6:1:2::3:1.2.3.4]>", { isLiteral: true }],
    ["<Postmaster>", { ...plain, isPostmaster: true, local: "Postmaster", domain: "", address: "postmaster" }],
    ["<postMASTER>", { isPostmaster: true, address: "postmaster" }],
    ["<Postmaster@Example.COM>", { ...plain, local: "Postmaster", domain: "example.com" }],
    ["<pel\u00e9@example.com>", { ...plain, needsSmtputf8: true, local: "pel\u00e9" }],
    ["<\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a>", { needsSmtputf8: true, domain: "\u4f8b\u5b50.\u5e7f\u544a" }],
    ["<u@B\u00dcCHER.de>", { needsSmtputf8: true, local: "u", domain: "b\u00fccher.de" }],
    ['<"\u00fc x"@d>', { needsSmtputf8: true, local: "\u00fc x", address: '"\u00fc x"@d' }],
    ["<\u{1f600}@x>", { needsSmtputf8: true, local: "\u{1f600}" }],
    ["<u@xn--bcher-kva.de>", { needsSmtputf8: false, domain: "xn--bcher-kva.de" }],
  ];
  test.each(cases)("%s", (input, expected) => {
    const r = parsePath(input);
    expect(r).toMatchObject({ ok: true, path: expected });
  });
});

describe("parsePath: invalid", () => {
  const long = (n: number): string => "a".repeat(n);
  const cases: [string, string, number][] = [
    ["no brackets", "a@b", 501],
    ["no closing bracket", "<a@b", 501],
    ["no opening bracket", "a@b>", 501],
    ["trailing text", "<a@b> x", 501],
    ["double brackets", "<<a@b>>", 501],
    ["at only", "<@>", 501],
    ["no domain", "<a@>", 501],
    ["no local", "<@b>", 501],
    ["no at", "<a>", 501],
    ["two ats", "<a@b@c>", 501],
    ["double dot", "<a..b@c>", 501],
    ["leading dot", "<.a@c>", 501],
    ["trailing dot", "<a.@c>", 501],
    ["space in local", "<a b@c>", 501],
    ["comma in local", "<a,b@c>", 501],
    ["bracket in local", "<a[b@c>", 501],
    ["empty quoted", '<""@c>', 501],
    ["unterminated quote", '<"a@c>', 501],
    ["text after quote", '<"a"b@c>', 501],
    ["control in quote", '<"a\u0001"@c>', 501],
    ["tab in quote", '<"a\tb"@c>', 501],
    ["non-ASCII quoted-pair", '<"a\\\u00e9"@c>', 501],
    ["C1 control", "<a\u0085@c>", 501],
    ["replacement char", "<a\ufffd@c>", 501],
    ["domain double dot", "<a@b..c>", 501],
    ["domain leading hyphen", "<a@-b.c>", 501],
    ["domain trailing hyphen", "<a@b-.c>", 501],
    ["domain underscore", "<a@b_c.d>", 501],
    ["domain trailing dot", "<a@b.c.>", 501],
    ["domain leading dot", "<a@.b.c>", 501],
    ["domain label 64", `<a@${long(64)}.com>`, 501],
    ["IPv4 3 parts", "<a@[1.2.3]>", 501],
    ["IPv4 256", "<a@[256.1.1.1]>", 501],
    ["IPv4 4 digits", "<a@[0001.1.1.1]>", 501],
    ["IPv4 5 parts", "<a@[1.2.3.4.5]>", 501],
    ["IPv6 9 groups", "<a@[IPv6:1:2:3:4:5:6:7:8:9]>", 501],
    ["IPv6 7 groups", "<a@[IPv6:1:2:3:4:5:6:7]>", 501],
    ["IPv6 two ::", "<a@[IPv6:1::2::3]>", 501],
    ["IPv6 5 hex", "<a@[IPv6:12345::]>", 501],
    ["IPv6 full with ::", "<a@[IPv6:1:2:3:4:5:6:7::8]>", 501],
    ["IPv6 without tag", "<a@[::1]>", 501],
    ["IPv6v4 too many", "<a@[IPv6:1:2:3:4:5:6:7:1.2.3.4]>", 501],
    ["general literal", "<a@[x400:foo]>", 501],
    ["unclosed literal", "<a@[1.2.3.4>", 501],
    ["literal with suffix", "<a@[1.2.3.4].com>", 501],
    ["empty route", "<@:a@b>", 501],
    ["route without at", "<@r1,r2:a@b>", 501],
    ["route without colon", "<@r1,@r2,a@b>", 501],
    ["route to nothing", "<@r1:>", 501],
    ["route to postmaster", "<@r1:Postmaster>", 501],
    ["route literal", "<@[1.2.3.4]:a@b>", 501],
    ["local part 65", `<${long(65)}@x>`, 553],
    ["local part 33 x 2 octets", `<${"\u00e9".repeat(33)}@x>`, 553],
    ["path 257", `<${long(64)}@${long(60)}.${long(60)}.${long(60)}.${long(7)}>`, 501],
  ];
  test.each(cases)("%s", (_name, input, code) => {
    const r = parsePath(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reply).toMatchObject({ code, enhanced: "5.1.3" });
  });
});

describe("length limits (RFC 5321 §4.5.3.1)", () => {
  test("local part of exactly 64 octets, ASCII and UTF-8", () => {
    expect(parsePath(`<${"a".repeat(64)}@x>`).ok).toBe(true);
    expect(parsePath(`<${"\u00e9".repeat(32)}@x>`).ok).toBe(true);
    expect(parsePath(`<"${"a".repeat(62)}"@x>`).ok).toBe(true); // quotes count, as sent
    expect(parsePath(`<"${"a".repeat(63)}"@x>`).ok).toBe(false);
  });
  test("path of exactly 256 octets is accepted, 257 refused", () => {
    const domain = `${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(57)}`; // 185
    const p256 = `<${"a".repeat(64)}@${domain}xxxx>`;
    expect(p256.length).toBe(256);
    expect(parsePath(p256).ok).toBe(true);
    const p257 = `<${"a".repeat(64)}@${domain}xxxxx>`;
    expect(parsePath(p257)).toMatchObject({ ok: false, reply: { code: 501, text: "Path too long" } });
  });
});

describe("reverse and forward paths", () => {
  test("null path only for MAIL", () => {
    expect(parseReversePath("<>")).toMatchObject({ ok: true, path: { isNull: true } });
    expect(parseForwardPath("<>")).toMatchObject({ ok: false, reply: { code: 501, enhanced: "5.1.3" } });
  });
  test("bare Postmaster only for RCPT (RFC 5321 §4.5.1)", () => {
    expect(parseForwardPath("<Postmaster>")).toMatchObject({ ok: true, path: { isPostmaster: true } });
    expect(parseReversePath("<Postmaster>")).toMatchObject({ ok: false, reply: { code: 501, enhanced: "5.1.7" } });
  });
  test("sender syntax errors use X.1.7, recipient X.1.3 (RFC 3463 §3.2)", () => {
    expect(parseReversePath("<a@>")).toMatchObject({ ok: false, reply: { code: 501, enhanced: "5.1.7" } });
    expect(parseForwardPath("<a@>")).toMatchObject({ ok: false, reply: { code: 501, enhanced: "5.1.3" } });
  });
});

describe("helpers", () => {
  test.each([
    ["<a@b>", 5],
    ["<a@b> SIZE=1", 5],
    ['<"a>b"@c> X', 9],
    ['<"a\\">"@c>', 10],
    ["<a@b", -1],
    ["a@b>", -1],
    ['<"a>', -1],
  ] as const)("findPathEnd(%s) = %d", (s, n) => expect(findPathEnd(s)).toBe(n));

  test.each([
    ["example.com", true],
    ["localhost", true],
    ["a-b.c", true],
    ["1.2.3.4", true], // syntactically a domain of digit labels
    ["", false],
    ["a..b", false],
    ["-a.b", false],
    ["a_b.c", false],
    ["b\u00fccher.de", false],
  ] as const)("isDomain(%s) = %p", (s, ok) => expect(isDomain(s)).toBe(ok));

  test("isDomain options", () => {
    expect(isDomain("DESKTOP_1", { underscore: true })).toBe(true);
    expect(isDomain("b\u00fccher.de", { utf8: true })).toBe(true);
    expect(isDomain(`${"a".repeat(63)}.b`)).toBe(true);
    expect(isDomain(`${"a".repeat(64)}.b`)).toBe(false);
  });

  test.each([
    ["[1.2.3.4]", "[1.2.3.4]"],
    ["[IPv6:::]", "[IPv6:::]"],
    ["[IPV6:FE80::1]", "[IPv6:fe80::1]"],
    ["[IPv6:::1.2.3.4]", "[IPv6:::1.2.3.4]"],
    ["1.2.3.4", null],
    ["[]", null],
    ["[IPv6:]", null],
    ["[IPv6:1.2.3.4]", null],
    ["[IPv6:::1.2.3]", null],
  ] as const)("parseAddressLiteral(%s)", (s, out) => expect(parseAddressLiteral(s)).toBe(out));
});
