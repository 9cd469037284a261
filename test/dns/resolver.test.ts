// The delivery resolver (src/dns/resolver.ts) against a real authoritative server (Knot DNS,
// test/helpers/dns-server.ts) on loopback, plus the pure helpers of the wire codec.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSocket, type Socket } from "node:dgram";
import { createResolver, DnsError, reverseName, type DnsResolver } from "../../src/dns/resolver.ts";
import { parseServer } from "../../src/dns/transport.ts";
import { formatIPv6 } from "../../src/dns/wire.ts";
import { knot, startDnsServer, type DnsServer } from "../helpers/dns-server.ts";

// A 2048-bit RSA public key as published in DKIM records: longer than one 255-byte string.
const DKIM_KEY = `v=DKIM1; k=rsa; p=${"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA".padEnd(392, "x")}`;
const HUGE = "y".repeat(3000); // too big for a 1232-byte UDP answer: needs TCP (RFC 7766)

describe.skipIf(knot.skip)("createResolver against Knot DNS", () => {
  let dns: DnsServer;
  let r: DnsResolver;
  let blackhole: Socket;
  let blackholeQueries = 0;

  beforeAll(async () => {
    dns = await startDnsServer({
      zones: {
        "other.test": [
          { name: "@", type: "MX", value: "20 mx2.other.test." },
          { name: "@", type: "MX", value: "10 mx1.other.test." },
          { name: "mx1", type: "A", value: "127.0.0.3" },
          { name: "mx1", type: "AAAA", value: "2001:db8:0:0:0:0:0:3" },
          { name: "mx2", type: "A", value: "127.0.0.4" },
          { name: "mx2", type: "A", value: "127.0.0.5" },
          { name: "nomail", type: "MX", value: "0 ." },
          { name: "one", type: "TXT", value: ["part one,", " part two"] },
          { name: "two", type: "TXT", value: "first" },
          { name: "two", type: "TXT", value: "second" },
          { name: "quoted", type: "TXT", value: 'say "hi" \\ bye; ok' },
          { name: "sel._domainkey", type: "TXT", value: DKIM_KEY },
          { name: "huge", type: "TXT", value: HUGE },
          { name: "alias", type: "CNAME", value: "mx2" },
          { name: "away", type: "CNAME", value: "host.second.test." },
          { name: "@", type: "TXT", value: "v=spf1 ip4:127.0.0.3 -all" },
        ],
        "second.test": [{ name: "host", type: "A", value: "127.0.0.9" }],
        "0.0.127.in-addr.arpa": [{ name: "3", type: "PTR", value: "mx1.other.test." }],
        "8.b.d.0.1.0.0.2.ip6.arpa": [{ name: "3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0", type: "PTR", value: "mx1.other.test." }],
      },
      servfail: ["broken.test"],
    });
    r = createResolver({ servers: [dns.address], timeoutMs: 2000, tries: 1 });
    // A UDP socket that takes queries and never answers: the timeout case.
    blackhole = createSocket("udp4");
    blackhole.on("message", () => blackholeQueries++);
    await new Promise<void>((res) => blackhole.bind(0, "127.0.0.1", () => res()));
  });

  afterAll(async () => {
    await dns?.stop();
    blackhole?.close();
  });

  const codeOf = async (p: Promise<unknown>) => p.then(() => "no error", (e) => (e instanceof DnsError ? e.code : `not a DnsError: ${e}`));

  test("A and AAAA (RFC 5952 text form)", async () => {
    expect((await r.a("mx2.other.test")).sort()).toEqual(["127.0.0.4", "127.0.0.5"]);
    expect(await r.aaaa("mx1.other.test")).toEqual(["2001:db8::3"]);
  });

  test("MX records, and a null MX (RFC 7505) as exchange ''", async () => {
    const mx = (await r.mx("other.test")).sort((a, b) => a.priority - b.priority);
    expect(mx).toEqual([
      { exchange: "mx1.other.test", priority: 10 },
      { exchange: "mx2.other.test", priority: 20 },
    ]);
    expect(await r.mx("nomail.other.test")).toEqual([{ exchange: "", priority: 0 }]);
  });

  test("TXT: one record with two strings is not two records (Bun's node:dns gets this wrong)", async () => {
    expect(await r.txt("one.other.test")).toEqual([["part one,", " part two"]]);
    expect((await r.txt("two.other.test")).sort()).toEqual([["first"], ["second"]]);
    expect(await r.txt("quoted.other.test")).toEqual([['say "hi" \\ bye; ok']]);
  });

  test("TXT longer than 255 bytes: a 2048-bit DKIM key joins back exactly", async () => {
    const recs = await r.txt("sel._domainkey.other.test");
    expect(recs).toHaveLength(1);
    expect(recs[0]!.length).toBeGreaterThan(1);
    expect(recs[0]!.join("")).toBe(DKIM_KEY);
  });

  test("a truncated UDP answer is retried over TCP", async () => {
    const recs = await r.txt("huge.other.test");
    expect(recs).toHaveLength(1);
    expect(recs[0]!.join("")).toBe(HUGE);
  });

  test("CNAMEs are followed, inside the answer and across zones", async () => {
    expect((await r.a("alias.other.test")).sort()).toEqual(["127.0.0.4", "127.0.0.5"]);
    expect(await r.a("away.other.test")).toEqual(["127.0.0.9"]);
    expect(await r.resolve("away.other.test", "CNAME")).toEqual(["host.second.test"]);
  });

  test("PTR by reverse name and by IPv4 / IPv6 address", async () => {
    expect(await r.ptr("3.0.0.127.in-addr.arpa")).toEqual(["mx1.other.test"]);
    expect(await r.ptr("127.0.0.3")).toEqual(["mx1.other.test"]);
    expect(await r.ptr("2001:db8::3")).toEqual(["mx1.other.test"]);
  });

  test("NXDOMAIN, NODATA, SERVFAIL and REFUSED are told apart", async () => {
    expect(await codeOf(r.a("nope.other.test"))).toBe("NXDOMAIN");
    expect(await codeOf(r.aaaa("mx2.other.test"))).toBe("NODATA");
    expect(await codeOf(r.mx("mx1.other.test"))).toBe("NODATA");
    expect(await codeOf(r.a("www.broken.test"))).toBe("SERVFAIL");
    expect(await codeOf(r.a("example.org"))).toBe("REFUSED");
    const err = await r.a("nope.other.test").catch((e: DnsError) => e);
    expect(err).toBeInstanceOf(DnsError);
    expect((err as DnsError).hostname).toBe("nope.other.test");
  });

  test("no answer: TIMEOUT after exactly `tries` queries", async () => {
    const port = (blackhole.address() as { port: number }).port;
    const slow = createResolver({ servers: [`127.0.0.1:${port}`], timeoutMs: 150, tries: 3 });
    blackholeQueries = 0;
    expect(await codeOf(slow.a("other.test"))).toBe("TIMEOUT");
    expect(blackholeQueries).toBe(3);
  });

  test("a silent first server falls through to the next one", async () => {
    const port = (blackhole.address() as { port: number }).port;
    const two = createResolver({ servers: [`127.0.0.1:${port}`, dns.address], timeoutMs: 150, tries: 1 });
    expect(await two.a("mx1.other.test")).toEqual(["127.0.0.3"]);
  });

  test("resolve(): node:dns shapes and error codes for mailauth", async () => {
    expect(await r.resolve("one.other.test", "TXT")).toEqual([["part one,", " part two"]]);
    expect(await r.resolve("mx1.other.test", "A")).toEqual(["127.0.0.3"]);
    const nodeCode = (p: Promise<unknown>) => p.then(() => "no error", (e) => e.code);
    expect(await nodeCode(r.resolve("nope.other.test", "TXT"))).toBe("ENOTFOUND");
    expect(await nodeCode(r.resolve("mx2.other.test", "AAAA"))).toBe("ENODATA");
    expect(await nodeCode(r.resolve("broken.test", "MX"))).toBe("ESERVFAIL");
    expect(await nodeCode(r.resolve("bad..name", "A"))).toBe("EBADNAME");
    const port = (blackhole.address() as { port: number }).port;
    const slow = createResolver({ servers: [`127.0.0.1:${port}`], timeoutMs: 100, tries: 1 });
    expect(await nodeCode(slow.resolve("other.test", "TXT"))).toBe("ETIMEOUT");
  });

  test("mailauth's SPF check runs on it", async () => {
    const { spf } = await import("mailauth/lib/spf/index.js");
    const pass = await spf({ sender: "a@other.test", ip: "127.0.0.3", helo: "mx1.other.test", mta: "mx.test", resolver: r.resolve });
    expect(pass.status.result).toBe("pass");
    const fail = await spf({ sender: "a@other.test", ip: "127.0.0.77", helo: "x.test", mta: "mx.test", resolver: r.resolve });
    expect(fail.status.result).toBe("fail");
  });

  test("update() replaces the records the server answers with", async () => {
    const tmp = await startDnsServer({ zones: { "up.test": [{ name: "@", type: "A", value: "127.0.0.1" }] } });
    try {
      const u = createResolver({ servers: [tmp.address], timeoutMs: 2000, tries: 1, cacheEntries: 0 });
      expect(await u.a("up.test")).toEqual(["127.0.0.1"]);
      await tmp.update({ "up.test": [{ name: "@", type: "A", value: "127.0.0.2" }], "new.test": [{ name: "@", type: "A", value: "127.0.0.8" }] });
      expect(await u.a("up.test")).toEqual(["127.0.0.2"]);
      expect(await u.a("new.test")).toEqual(["127.0.0.8"]);
    } finally {
      await tmp.stop();
    }
  });

  test("answers are cached for their TTL, NXDOMAIN for the SOA minimum (RFC 2308)", async () => {
    const tmp = await startDnsServer({ zones: { "ttl.test": [{ name: "@", type: "A", value: "127.0.0.1", ttl: 300 }, { name: "short", type: "A", value: "127.0.0.1", ttl: 0 }] } });
    try {
      const clock = { now: 1_000_000 };
      const u = createResolver({ servers: [tmp.address], timeoutMs: 2000, tries: 1, now: () => clock.now });
      expect(await u.a("ttl.test")).toEqual(["127.0.0.1"]);
      expect(await codeOf(u.a("later.ttl.test"))).toBe("NXDOMAIN");
      expect(await u.a("short.ttl.test")).toEqual(["127.0.0.1"]);
      await tmp.update({
        "ttl.test": [
          { name: "@", type: "A", value: "127.0.0.2", ttl: 300 },
          { name: "later", type: "A", value: "127.0.0.7" },
          { name: "short", type: "A", value: "127.0.0.2", ttl: 0 },
        ],
      });
      // Within its 300 s the cached answer stands, within the zone's 1 s SOA minimum the
      // NXDOMAIN too; the TTL-0 answer was not kept.
      expect(await u.a("ttl.test")).toEqual(["127.0.0.1"]);
      expect(await codeOf(u.a("later.ttl.test"))).toBe("NXDOMAIN");
      clock.now += 1_000;
      expect(await u.a("later.ttl.test")).toEqual(["127.0.0.7"]);
      expect(await u.a("short.ttl.test")).toEqual(["127.0.0.2"]);
      clock.now += 300_000;
      expect(await u.a("ttl.test")).toEqual(["127.0.0.2"]);
    } finally {
      await tmp.stop();
    }
  });
});

describe("DNS helpers", () => {
  test("reverseName (RFC 1035 §3.5, RFC 3596 §2.5)", () => {
    expect(reverseName("192.0.2.1")).toBe("1.2.0.192.in-addr.arpa");
    expect(reverseName("2001:db8::1")).toBe(`1.${"0.".repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa`);
    expect(reverseName("::ffff:192.0.2.1")).toBe(`1.0.2.0.0.0.0.c.f.f.f.f.${"0.".repeat(20)}ip6.arpa`);
    expect(() => reverseName("mx.test")).toThrow();
  });

  test("formatIPv6 (RFC 5952 §4)", () => {
    const b = (...g: number[]) => new Uint8Array(g.flatMap((x) => [x >> 8, x & 0xff]));
    expect(formatIPv6(b(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))).toBe("2001:db8::1");
    expect(formatIPv6(b(0, 0, 0, 0, 0, 0, 0, 0))).toBe("::");
    expect(formatIPv6(b(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1))).toBe("2001:db8:0:1:1:1:1:1"); // one zero group stays
    expect(formatIPv6(b(0x2001, 0, 0, 1, 0, 0, 0, 1))).toBe("2001:0:0:1::1"); // the longer run wins
    expect(formatIPv6(b(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1))).toBe("2001:db8::1:0:0:1"); // first of equal runs
  });

  test("parseServer", () => {
    expect(parseServer("127.0.0.1")).toEqual({ host: "127.0.0.1", port: 53 });
    expect(parseServer("127.0.0.1:5353")).toEqual({ host: "127.0.0.1", port: 5353 });
    expect(parseServer("[::1]:5353")).toEqual({ host: "::1", port: 5353 });
    expect(parseServer("::1")).toEqual({ host: "::1", port: 53 });
  });
});
