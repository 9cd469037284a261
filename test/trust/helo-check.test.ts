// helo-check unit tests: name classification (RFC 5321 §4.1.1.1, §2.3.5) and the handler's
// optional checks, with a fake resolver.

import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import { DnsError, type DnsResolver } from "../../src/dns/resolver.ts";
import type { HandlerContext } from "../../src/events/handler.ts";
import type { SessionInfo } from "../../src/events/catalog.ts";
import type { Verdict } from "../../src/events/verdict.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { classifyHelo } from "../../src/trust/helo-name.ts";
import { heloCheck } from "../../handlers/helo-check.ts";

describe("classifyHelo", () => {
  const kind = (s: string, underscore = true) => classifyHelo(s, { underscore }).kind;
  test.each([
    ["mail.example.com", "fqdn"],
    ["Mail.Example.COM.", "fqdn"],
    ["host_1.example.com", "fqdn"],
    ["[192.0.2.1]", "literal"],
    ["[IPv6:2001:db8::1]", "literal"],
    ["localhost", "invalid"],
    ["192.0.2.1", "invalid"],
    ["2001:db8::1", "invalid"],
    ["mail.123", "invalid"],
    ["-bad.example", "invalid"],
    ["a..b", "invalid"],
  ] as [string, "literal" | "fqdn" | "invalid"][])("%s → %s", (arg, expected) => expect(kind(arg)).toBe(expected));
  test("underscore only when allowed", () => expect(kind("host_1.example.com", false)).toBe("invalid"));
  test("a literal carries its address", () => expect(classifyHelo("[IPv6:2001:db8::1]", { underscore: true })).toEqual({ kind: "literal", ip: "2001:db8::1" }));
});

function fakeDns(table: Record<string, string[] | DnsError["code"]>): DnsResolver {
  const look = (type: string) => (name: string) => {
    const r = table[`${type} ${name}`];
    if (r === undefined) return Promise.reject(new DnsError("NXDOMAIN", name, type));
    if (typeof r === "string") return Promise.reject(new DnsError(r, name, type));
    return Promise.resolve(r);
  };
  const none = () => Promise.reject(new Error("not used"));
  return { a: look("A"), aaaa: look("AAAA"), ptr: none, mx: none, txt: none, resolve: none } as DnsResolver;
}
const dns = fakeDns({ "A mail.good.test": ["192.0.2.1"], "AAAA mail.good.test": "NODATA", "A broken.test": "SERVFAIL", "AAAA broken.test": "SERVFAIL", "A other.test": ["198.51.100.1"] });
const config = parseConfig({ hostname: "mx.example.test", trust: { trustedNetworks: ["10.0.0.0/8"] } });
const session = (helo: string, extra: Partial<SessionInfo> = {}): SessionInfo => ({ id: "s", protocol: "smtp", role: "mx", remoteAddress: "192.0.2.1", remotePort: 1, localAddress: "192.0.2.25", localPort: 25, tls: null, helo, authUser: null, ...extra });

async function judge(options: object, helo: string, extra: Partial<SessionInfo> = {}): Promise<Verdict> {
  const ctx: HandlerContext = { dns, config, db: undefined as never, hub: undefined as never, now: () => 0, log: silentLogger, signal: new AbortController().signal, results: new Map() };
  const [h] = heloCheck(options, config);
  if (h!.event === "smtp.helo") return h!.handle({ session: session(helo, extra), verb: "EHLO", domain: helo }, ctx) as Promise<Verdict>;
  if (h!.event !== "smtp.mail") throw new Error("unexpected event");
  return h!.handle({ session: session(helo, extra), transactionId: "t", from: "", params: {} }, ctx) as Promise<Verdict>;
}

describe("handler", () => {
  test("defaults: a dotless name or a bare IP is refused with 550 5.7.1 at MAIL; an FQDN or literal passes", async () => {
    expect(await judge({}, "localhost")).toEqual({ kind: "reject", reply: { code: 550, enhanced: "5.7.1", text: "HELO/EHLO refused: localhost: not a fully qualified domain name" } });
    expect((await judge({}, "192.0.2.1")).kind).toBe("reject");
    expect(await judge({}, "mail.good.test")).toEqual({ kind: "continue", note: "mail.good.test: fqdn" });
    expect((await judge({}, "[192.0.2.1]")).kind).toBe("continue");
    expect((await judge({ at: "helo" }, "localhost")).kind).toBe("reject");
  });
  test("requireFqdn false only notes; trusted, authenticated and submission clients are skipped", async () => {
    expect(await judge({ requireFqdn: false }, "localhost")).toEqual({ kind: "continue", note: "localhost: not a fully qualified domain name" });
    expect((await judge({}, "localhost", { remoteAddress: "10.0.0.1" })).kind).toBe("continue");
    expect((await judge({}, "localhost", { authUser: "alice@example.test" })).kind).toBe("continue");
    expect((await judge({}, "localhost", { role: "submission" })).kind).toBe("continue");
  });
  test("rejectOwnName: our hostname, extra names and our own address literal", async () => {
    expect((await judge({}, "mx.example.test")).kind).toBe("continue");
    expect((await judge({ rejectOwnName: true }, "MX.example.test")).kind).toBe("reject");
    expect((await judge({ rejectOwnName: true, ownNames: ["mail.example.test"] }, "mail.example.test")).kind).toBe("reject");
    expect((await judge({ rejectOwnName: true }, "[192.0.2.25]")).kind).toBe("reject");
    expect((await judge({ rejectOwnName: true }, "[192.0.2.1]")).kind).toBe("continue");
  });
  test("dynamicPatterns refuse matching names; invalid patterns are an option error", async () => {
    const dynamicPatterns = ["(^|[.-])(dyn|dhcp|pool)[.-]", "\\d+-\\d+-\\d+-\\d+"];
    expect((await judge({ dynamicPatterns }, "host-198-51-100-7.isp.test")).kind).toBe("reject");
    expect((await judge({ dynamicPatterns }, "dhcp-42.isp.test")).kind).toBe("reject");
    expect((await judge({ dynamicPatterns }, "mail.isp.test")).kind).toBe("continue");
    expect(() => heloCheck({ dynamicPatterns: ["("] }, config)).toThrow(/helo-check/);
  });
  test("resolve and matchClient: annotate or reject; DNS failure only noted", async () => {
    expect(await judge({ resolve: "annotate", matchClient: "annotate" }, "mail.good.test")).toEqual({ kind: "continue", note: "mail.good.test: fqdn; resolves; matches client" });
    expect(await judge({ resolve: "annotate", matchClient: "annotate" }, "other.test")).toEqual({ kind: "continue", note: "other.test: fqdn; resolves; does not match client" });
    expect((await judge({ resolve: "reject" }, "nowhere.test")).kind).toBe("reject");
    expect((await judge({ matchClient: "reject" }, "other.test")).kind).toBe("reject");
    expect((await judge({ matchClient: "reject" }, "[198.51.100.1]")).kind).toBe("reject");
    expect(await judge({ resolve: "reject", matchClient: "reject" }, "broken.test")).toEqual({ kind: "continue", note: "broken.test: fqdn; not verified (DNS SERVFAIL)" });
  });
});
