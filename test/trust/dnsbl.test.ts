// dnsbl unit tests: query names (RFC 5782 §2.1, §2.4), answer meanings, scoring and the
// handler's decisions, with a fake resolver (the Knot-backed test is test/e2e/trust-reputation).

import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import { DnsError, type DnsResolver } from "../../src/dns/resolver.ts";
import type { HandlerContext } from "../../src/events/handler.ts";
import type { SessionInfo } from "../../src/events/catalog.ts";
import type { Verdict } from "../../src/events/verdict.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { dnsblName } from "../../src/trust/dnsbl-name.ts";
import { readAnswers, describeZone } from "../../src/trust/dnsbl-zone.ts";
import { lookupZones } from "../../src/trust/dnsbl-lookup.ts";
import { dnsbl } from "../../handlers/dnsbl.ts";

/** name → A answers, or a DnsError code, or "hang" (never answers). */
type Table = Record<string, string[] | DnsError["code"] | "hang">;
function fakeDns(table: Table, asked: string[] = []): DnsResolver {
  const a = (name: string) => {
    asked.push(name);
    const r = table[name];
    if (r === "hang") return new Promise<string[]>(() => {});
    if (r === undefined) return Promise.reject(new DnsError("NXDOMAIN", name, "A"));
    if (typeof r === "string") return Promise.reject(new DnsError(r, name, "A"));
    return Promise.resolve(r);
  };
  const none = () => Promise.reject(new Error("not used"));
  return { a, aaaa: none, mx: none, txt: none, ptr: none, resolve: none } as DnsResolver;
}
const config = parseConfig({ hostname: "mx.example.test", trust: { trustedNetworks: ["10.0.0.0/8"] } });
function ctxWith(dns: DnsResolver): HandlerContext {
  return { dns, config, db: undefined as never, hub: undefined as never, now: () => 0, log: silentLogger, signal: new AbortController().signal, results: new Map() };
}
function session(ip: string, extra: Partial<SessionInfo> = {}): SessionInfo {
  return { id: "s", protocol: "smtp", role: "mx", remoteAddress: ip, remotePort: 1, localAddress: "192.0.2.25", localPort: 25, tls: null, helo: "client.test", authUser: null, ...extra };
}
const rcpt = (address: string) => ({ address, orcpt: null, notify: null, resolution: { kind: "unknown" as const } });

describe("query names", () => {
  test("IPv4: reversed octets (RFC 5782 §2.1)", () => {
    expect(dnsblName("192.0.2.99", "bl.example")).toBe("99.2.0.192.bl.example");
    expect(dnsblName("::ffff:192.0.2.99", "bl.example.")).toBe("99.2.0.192.bl.example");
  });
  test("IPv6: 32 reversed nibbles (RFC 5782 §2.4 example)", () => {
    expect(dnsblName("2001:db8:1:2:3:4:567:89ab", "ugly.example.com")).toBe(
      "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com",
    );
    expect(dnsblName("2001:db8::1", "bl.example")).toBe(`1.${"0.".repeat(23)}8.b.d.0.1.0.0.2.bl.example`);
  });
  test("not an address", () => expect(() => dnsblName("mail.example", "bl.example")).toThrow());
});

describe("answers", () => {
  const zone = { zone: "zen.example", weight: 2, codes: { "127.0.0.2": "SBL", "127.0.0.10": { label: "PBL", weight: 0.5 } }, ignoreCodes: ["127.0.0.11"] };
  test("a known code is a listing with its label; the zone counts its highest weight once", () => {
    const r = readAnswers(zone, "q", ["127.0.0.2", "127.0.0.10"]);
    expect(r.status).toBe("listed");
    expect(r.score).toBe(2);
    expect(describeZone(r)).toBe("zen.example: listed 127.0.0.2 (SBL), 127.0.0.10 (PBL)");
    expect(readAnswers(zone, "q", ["127.0.0.10"]).score).toBe(0.5);
    expect(readAnswers(zone, "q", ["127.0.0.7"]).listings).toEqual([{ code: "127.0.0.7", label: "127.0.0.7", weight: 2 }]);
  });
  test("127.255.255.x is an operator error, not a listing; non-127 answers and ignoreCodes do not count", () => {
    const err = readAnswers(zone, "q", ["127.255.255.254"]);
    expect(err.status).toBe("error");
    expect(err.score).toBe(0);
    expect(describeZone(err)).toContain("127.255.255.254 (list operator error)");
    expect(readAnswers(zone, "q", ["192.0.2.1"]).status).toBe("clean");
    expect(readAnswers(zone, "q", ["127.0.0.11"]).status).toBe("clean");
  });
  test("lookups: NXDOMAIN clean, SERVFAIL and a timeout ignored with the reason", async () => {
    const zones = ["a.example", "b.example", "c.example"].map((zone) => ({ zone, weight: 1, codes: {}, ignoreCodes: [] }));
    const dns = fakeDns({ "2.0.0.127.b.example": "SERVFAIL", "2.0.0.127.c.example": "hang" });
    const r = await lookupZones(dns, zones, (z) => dnsblName("127.0.0.2", z), { timeoutMs: 20, signal: new AbortController().signal });
    expect(r.map((x) => [x.status, x.error])).toEqual([["clean", undefined], ["error", "SERVFAIL"], ["error", "TIMEOUT"]]);
  });
});

describe("handler", () => {
  const zones = [
    { zone: "zen.example", codes: { "127.0.0.2": "SBL" } },
    { zone: "weak.example", weight: 0.5 },
  ];
  const listed: Table = { "2.0.0.127.zen.example": ["127.0.0.2"], "2.0.0.127.weak.example": ["127.0.0.2"], "3.0.0.127.weak.example": ["127.0.0.2"] };
  const run = async (opts: object, s: SessionInfo, dns = fakeDns(listed), address = "alice@example.test"): Promise<Verdict> => {
    const [h] = dnsbl(opts, config);
    if (h!.event === "smtp.connect") return h!.handle({ session: s }, ctxWith(dns)) as Promise<Verdict>;
    if (h!.event === "smtp.mail") return h!.handle({ session: s, transactionId: "t", from: "x@y.test", params: {} }, ctxWith(dns)) as Promise<Verdict>;
    if (h!.event !== "smtp.rcpt") throw new Error("unexpected event");
    return h!.handle({ session: s, transactionId: "t", from: "x@y.test", recipient: rcpt(address) }, ctxWith(dns)) as Promise<Verdict>;
  };

  test("no zones: no handler at all", () => expect(dnsbl({}, config)).toEqual([]));
  test("bad options: an error naming the handler", () => expect(() => dnsbl({ zones: [{ zone: "" }] }, config)).toThrow(/dnsbl/));
  test("at or above the threshold: 550 5.7.1 naming the list", async () => {
    const v = await run({ zones }, session("127.0.0.2"));
    expect(v).toEqual({ kind: "reject", reply: { code: 550, enhanced: "5.7.1", text: "Client host [127.0.0.2] listed at zen.example (SBL), weak.example (127.0.0.2)" } });
    for (const at of ["connect", "mail"]) expect((await run({ zones, at }, session("127.0.0.2"))).kind).toBe("reject");
  });
  test("below the threshold: continue with the score in the note", async () => {
    const v = await run({ zones }, session("127.0.0.3"));
    expect(v).toEqual({ kind: "continue", note: "score 0.5/1: zen.example: not listed; weak.example: listed 127.0.0.2" });
  });
  test("postmaster and abuse pass at RCPT; trusted, authenticated and submission clients are not checked", async () => {
    const asked: string[] = [];
    const dns = fakeDns(listed, asked);
    expect((await run({ zones }, session("127.0.0.2"), dns, "Postmaster@example.test")).kind).toBe("continue");
    expect((await run({ zones }, session("10.1.2.3"), dns)).kind).toBe("continue");
    expect((await run({ zones }, session("127.0.0.2", { authUser: "alice@example.test" }), dns)).kind).toBe("continue");
    expect((await run({ zones }, session("127.0.0.2", { role: "submission" }), dns)).kind).toBe("continue");
    expect(asked).toEqual([]);
  });
  test("later RCPTs of one transaction reuse the first lookup", async () => {
    const asked: string[] = [];
    const [h] = dnsbl({ zones }, config);
    const ctx = ctxWith(fakeDns(listed, asked));
    if (h!.event !== "smtp.rcpt") throw new Error("expected rcpt");
    for (const a of ["a@example.test", "b@example.test"]) await h!.handle({ session: session("127.0.0.3"), transactionId: "t", from: "", recipient: rcpt(a) }, ctx);
    expect(asked).toEqual(["3.0.0.127.zen.example", "3.0.0.127.weak.example"]);
    expect((ctx.results.get("dnsbl") as { score: number }).score).toBe(0.5);
  });
  test("every zone down: the client passes with the reasons noted", async () => {
    const v = await run({ zones }, session("127.0.0.2"), fakeDns({ "2.0.0.127.zen.example": "SERVFAIL", "2.0.0.127.weak.example": "TIMEOUT" }));
    expect(v).toEqual({ kind: "continue", note: "score 0/1: zen.example: ignored (SERVFAIL); weak.example: ignored (TIMEOUT)" });
  });
});
