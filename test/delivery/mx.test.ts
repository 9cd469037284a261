// MX resolution (src/delivery/mx.ts): RFC 5321 §5.1 ordering and implicit MX, RFC 7505 null
// MX, literals and IDN — with a fake resolver, then a few cases against Knot DNS.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createResolver, DnsError, type DnsErrorCode, type DnsResolver } from "../../src/dns/resolver.ts";
import { orderByPreference, resolveMx } from "../../src/delivery/mx.ts";
import { knot, startDnsServer, type DnsServer } from "../helpers/dns-server.ts";

type Fake = { mx?: Record<string, [number, string][] | DnsErrorCode>; a?: Record<string, string[] | DnsErrorCode>; aaaa?: Record<string, string[] | DnsErrorCode> };

/** A resolver answering from tables; a name missing from a table is NXDOMAIN. Records lookups. */
function fake(t: Fake): DnsResolver & { asked: string[] } {
  const asked: string[] = [];
  const look = <T>(type: string, table: Record<string, T | DnsErrorCode> | undefined, name: string): Promise<T> => {
    asked.push(`${type} ${name}`);
    const v = table?.[name];
    if (v === undefined) return Promise.reject(new DnsError("NXDOMAIN", name, type));
    if (typeof v === "string") return Promise.reject(new DnsError(v as DnsErrorCode, name, type));
    return Promise.resolve(v as T);
  };
  return {
    asked,
    mx: async (n) => (await look("MX", t.mx, n)).map(([priority, exchange]) => ({ priority, exchange })),
    a: (n) => look("A", t.a, n),
    aaaa: (n) => look("AAAA", t.aaaa, n),
    txt: () => Promise.reject(new Error("unused")),
    ptr: () => Promise.reject(new Error("unused")),
    resolve: () => Promise.reject(new Error("unused")),
  };
}

/** A deterministic random source cycling through `values`. */
const seq = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

const hostsOf = (r: Awaited<ReturnType<typeof resolveMx>>) => (r.kind === "hosts" ? r.hosts.map((h) => h.host) : r.kind);

describe("resolveMx with a fake resolver", () => {
  test("orders by preference ascending", async () => {
    const r = fake({
      mx: { "example.test": [[30, "c.example.test"], [10, "a.example.test"], [20, "b.example.test"]] },
      a: { "a.example.test": ["192.0.2.1"], "b.example.test": ["192.0.2.2"], "c.example.test": ["192.0.2.3"] },
    });
    const res = await resolveMx("example.test", r);
    expect(res).toEqual({
      kind: "hosts",
      implicit: false,
      hosts: [
        { host: "a.example.test", preference: 10, addresses: ["192.0.2.1"] },
        { host: "b.example.test", preference: 20, addresses: ["192.0.2.2"] },
        { host: "c.example.test", preference: 30, addresses: ["192.0.2.3"] },
      ],
    });
  });

  test("randomises among equal preferences only (injected random)", async () => {
    const r = fake({
      mx: { "example.test": [[10, "a.test"], [10, "b.test"], [10, "c.test"], [5, "first.test"], [20, "last.test"]] },
      a: { "a.test": ["192.0.2.1"], "b.test": ["192.0.2.2"], "c.test": ["192.0.2.3"], "first.test": ["192.0.2.4"], "last.test": ["192.0.2.5"] },
    });
    // Fisher–Yates over [a, b, c]: i=2 picks j=floor(0*3)=0 → [c, b, a]; i=1 picks j=floor(0.99*2)=1 → unchanged.
    expect(hostsOf(await resolveMx("example.test", r, { random: seq(0, 0.99) }))).toEqual(["first.test", "c.test", "b.test", "a.test", "last.test"]);
    // Always the last slot: the identity permutation.
    expect(hostsOf(await resolveMx("example.test", r, { random: seq(0.99) }))).toEqual(["first.test", "a.test", "b.test", "c.test", "last.test"]);
  });

  test("orderByPreference: every order of an equal group is reachable", () => {
    const items = [1, 2, 3].map((n) => ({ preference: 10, n }));
    const seen = new Set<string>();
    const steps = [0, 0.34, 0.67, 0.99];
    for (const x of steps) for (const y of steps) seen.add(orderByPreference(items, seq(x, y)).map((i) => i.n).join(""));
    expect([...seen].sort()).toEqual(["123", "132", "213", "231", "312", "321"]);
  });

  test("null MX (RFC 7505): a single '0 .' record", async () => {
    const r = fake({ mx: { "nomail.test": [[0, ""]], "dot.test": [[0, "."]] }, a: { "nomail.test": ["192.0.2.1"] } });
    expect(await resolveMx("nomail.test", r)).toEqual({ kind: "nullmx" });
    expect(await resolveMx("dot.test", r)).toEqual({ kind: "nullmx" });
    expect(r.asked).toEqual(["MX nomail.test", "MX dot.test"]); // no address lookups after a null MX
  });

  test("'.' among real MX records is skipped, not a null MX", async () => {
    const r = fake({ mx: { "mixed.test": [[0, ""], [10, "mx.mixed.test"]] }, a: { "mx.mixed.test": ["192.0.2.7"] } });
    expect(hostsOf(await resolveMx("mixed.test", r))).toEqual(["mx.mixed.test"]);
  });

  test("no MX records: implicit MX is the domain's own A/AAAA (RFC 5321 §5.1)", async () => {
    const r = fake({ mx: { "plain.test": "NODATA" }, a: { "plain.test": ["192.0.2.9"] }, aaaa: { "plain.test": ["2001:db8::9"] } });
    expect(await resolveMx("plain.test", r)).toEqual({
      kind: "hosts",
      implicit: true,
      hosts: [{ host: "plain.test", preference: 0, addresses: ["192.0.2.9", "2001:db8::9"] }],
    });
    const v6 = await resolveMx("plain.test", r, { preferIPv6: true });
    expect(v6.kind === "hosts" && v6.hosts[0]!.addresses).toEqual(["2001:db8::9", "192.0.2.9"]);
  });

  test("no MX and no addresses, or NXDOMAIN: nodomain", async () => {
    const r = fake({ mx: { "bare.test": "NODATA" }, a: { "bare.test": "NODATA" }, aaaa: { "bare.test": "NODATA" } });
    expect(await resolveMx("bare.test", r)).toEqual({ kind: "nodomain" });
    expect(await resolveMx("missing.test", r)).toEqual({ kind: "nodomain" });
    expect(r.asked).not.toContain("A missing.test"); // NXDOMAIN is final: no implicit-MX lookups
  });

  test("SERVFAIL or timeout on MX: temperror, never an implicit-MX guess", async () => {
    const r = fake({ mx: { "sf.test": "SERVFAIL", "slow.test": "TIMEOUT" }, a: { "sf.test": ["192.0.2.1"] } });
    expect((await resolveMx("sf.test", r)).kind).toBe("temperror");
    expect((await resolveMx("slow.test", r)).kind).toBe("temperror");
    expect(r.asked).not.toContain("A sf.test");
  });

  test("implicit MX whose address lookup fails temporarily: temperror", async () => {
    const r = fake({ mx: { "x.test": "NODATA" }, a: { "x.test": "SERVFAIL" }, aaaa: { "x.test": "NODATA" } });
    expect((await resolveMx("x.test", r)).kind).toBe("temperror");
  });

  test("MX hosts without addresses are skipped; none usable → temperror naming them", async () => {
    const r = fake({
      mx: { "a.test": [[10, "gone.a.test"], [20, "ok.a.test"]], "b.test": [[10, "gone.b.test"], [20, "sf.b.test"]] },
      a: { "ok.a.test": ["192.0.2.1"], "sf.b.test": "SERVFAIL" },
    });
    expect(hostsOf(await resolveMx("a.test", r))).toEqual(["ok.a.test"]);
    const b = await resolveMx("b.test", r);
    expect(b.kind).toBe("temperror");
    expect(b.kind === "temperror" && b.reason).toContain("gone.b.test");
  });

  test("an MX pointing to an IP address is skipped (RFC 1035 §3.3.9: a host name)", async () => {
    const r = fake({ mx: { "ip.test": [[10, "192.0.2.5"], [20, "mx.ip.test"]] }, a: { "mx.ip.test": ["192.0.2.6"] } });
    expect(hostsOf(await resolveMx("ip.test", r))).toEqual(["mx.ip.test"]);
  });

  test("duplicate MX names keep their best preference; a host has A then AAAA", async () => {
    const r = fake({
      mx: { "dup.test": [[20, "MX.dup.test."], [10, "mx.dup.test"]] },
      a: { "mx.dup.test": ["192.0.2.1"] },
      aaaa: { "mx.dup.test": ["2001:db8::1"] },
    });
    expect(await resolveMx("dup.test", r)).toEqual({
      kind: "hosts",
      implicit: false,
      hosts: [{ host: "mx.dup.test", preference: 10, addresses: ["192.0.2.1", "2001:db8::1"] }],
    });
  });

  test("address literals need no DNS (RFC 5321 §4.1.3)", async () => {
    const r = fake({});
    expect(await resolveMx("[192.0.2.1]", r)).toEqual({ kind: "hosts", implicit: true, hosts: [{ host: "[192.0.2.1]", preference: 0, addresses: ["192.0.2.1"] }] });
    const v6 = await resolveMx("[IPv6:2001:db8::1]", r);
    expect(v6.kind === "hosts" && v6.hosts[0]!.addresses).toEqual(["2001:db8::1"]);
    expect(await resolveMx("[300.1.1.1]", r)).toEqual({ kind: "nodomain" });
    expect(await resolveMx("[2001:db8::1]", r)).toEqual({ kind: "nodomain" }); // IPv6 needs the tag
    expect(r.asked).toEqual([]);
  });

  test("IDN: U-labels are looked up as A-labels; case and trailing dot normalised", async () => {
    const r = fake({ mx: { "xn--bcher-kva.test": [[10, "mx.test"]] }, a: { "mx.test": ["192.0.2.1"] } });
    expect(hostsOf(await resolveMx("Bücher.test.", r))).toEqual(["mx.test"]);
    expect(r.asked[0]).toBe("MX xn--bcher-kva.test");
    expect(await resolveMx("", r)).toEqual({ kind: "nodomain" });
    expect(await resolveMx("a..b", r)).toEqual({ kind: "nodomain" });
  });
});

describe.skipIf(knot.skip)("resolveMx against Knot DNS", () => {
  let dns: DnsServer;
  let resolver: DnsResolver;

  beforeAll(async () => {
    dns = await startDnsServer({
      zones: {
        "other.test": [
          { name: "@", type: "MX", value: "20 mx2.other.test." },
          { name: "@", type: "MX", value: "10 mx1.other.test." },
          { name: "mx1", type: "A", value: "127.0.0.3" },
          { name: "mx2", type: "A", value: "127.0.0.4" },
          { name: "mx2", type: "AAAA", value: "::1" },
          { name: "nomail", type: "MX", value: "0 ." },
          { name: "plain", type: "A", value: "127.0.0.5" },
          { name: "dangling", type: "MX", value: "10 nowhere.other.test." },
        ],
      },
      servfail: ["broken.test"],
    });
    resolver = createResolver({ servers: [dns.address], timeoutMs: 2000, tries: 1 });
  });

  afterAll(async () => {
    await dns?.stop();
  });

  test("MX hosts in order with their addresses", async () => {
    expect(await resolveMx("other.test", resolver)).toEqual({
      kind: "hosts",
      implicit: false,
      hosts: [
        { host: "mx1.other.test", preference: 10, addresses: ["127.0.0.3"] },
        { host: "mx2.other.test", preference: 20, addresses: ["127.0.0.4", "::1"] },
      ],
    });
  });

  test("null MX, implicit MX, nodomain, temperror", async () => {
    expect(await resolveMx("nomail.other.test", resolver)).toEqual({ kind: "nullmx" });
    expect(await resolveMx("plain.other.test", resolver)).toEqual({
      kind: "hosts",
      implicit: true,
      hosts: [{ host: "plain.other.test", preference: 0, addresses: ["127.0.0.5"] }],
    });
    expect(await resolveMx("nope.other.test", resolver)).toEqual({ kind: "nodomain" });
    expect((await resolveMx("mx1.other.test", resolver)).kind).toBe("hosts"); // implicit: own A
    expect((await resolveMx("broken.test", resolver)).kind).toBe("temperror");
    expect((await resolveMx("dangling.other.test", resolver)).kind).toBe("temperror");
  });
});
