// uribl unit tests: URL hosts from decoded text parts, registrable domains, caps, and the
// handler's decision with a fake resolver (RFC 5782 §2.2 domain lists).

import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import { DnsError, type DnsResolver } from "../../src/dns/resolver.ts";
import type { HandlerContext } from "../../src/events/handler.ts";
import type { SessionInfo } from "../../src/events/catalog.ts";
import type { Verdict } from "../../src/events/verdict.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { extractUriHosts, urlHosts } from "../../src/trust/uri-extract.ts";
import { registrableDomain } from "../../src/trust/uri-domain.ts";
import { uribl } from "../../handlers/uribl.ts";

const enc = (s: string) => new TextEncoder().encode(s.replace(/\n/g, "\r\n"));
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** multipart/alternative: base64 text/plain + quoted-printable text/html with a soft line break inside the URL. */
const message = enc(`From: a@b.test
Subject: offer
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

${b64("see https://user:pw@Shop.Plain-Site.test:8443/x?y and www.www-site.test/z\n")}
--b1
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<a href=3D"http://www.spam-si=
te.test/buy">buy</a> <a href=3D"http://evil&#46;test/">x</a>
--b1
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

${b64("http://in-an-attachment.test/")}
--b1--
`);

describe("extraction", () => {
  test("hosts from text/plain and text/html, transfer encodings and character references decoded; attachments skipped", () => {
    expect(extractUriHosts(message, { maxBytes: 1 << 20, maxHosts: 50 })).toEqual({
      hosts: ["shop.plain-site.test", "www.www-site.test", "www.spam-site.test", "evil.test"],
      truncated: false,
    });
  });
  test("caps: scanned bytes and hosts", () => {
    expect(extractUriHosts(message, { maxBytes: 1 << 20, maxHosts: 2 })).toEqual({ hosts: ["shop.plain-site.test", "www.www-site.test"], truncated: true });
    const r = extractUriHosts(message, { maxBytes: 10, maxHosts: 50 });
    expect(r.truncated).toBe(true);
    expect(r.hosts).toEqual([]);
  });
  test("url hosts: IDN to A-labels; no scheme-less bare domains, mailto or IPv6 literals", () => {
    expect(urlHosts("http://bücher.example/ x.test mailto:a@b.test https://[2001:db8::1]/ http://192.0.2.1/")).toEqual(["xn--bcher-kva.example", "192.0.2.1"]);
  });
  test("registrable domains (Public Suffix List via tldts)", () => {
    expect(registrableDomain("www.shop.example.co.uk")).toBe("example.co.uk");
    expect(registrableDomain("a.b.spam-site.test")).toBe("spam-site.test");
    expect(registrableDomain("192.0.2.1")).toBeNull();
    expect(registrableDomain("[2001:db8::1]")).toBeNull();
    expect(registrableDomain("localhost")).toBeNull();
  });
});

describe("handler", () => {
  const asked: string[] = [];
  const dns = {
    a(name: string) {
      asked.push(name);
      if (name === "spam-site.test.dbl.example") return Promise.resolve(["127.0.1.2"]);
      if (name.endsWith(".down.example")) return Promise.reject(new DnsError("SERVFAIL", name, "A"));
      return Promise.reject(new DnsError("NXDOMAIN", name, "A"));
    },
  } as unknown as DnsResolver;
  const config = parseConfig({ hostname: "mx.example.test", trust: { trustedNetworks: [] } });
  const session: SessionInfo = { id: "s", protocol: "smtp", role: "mx", remoteAddress: "192.0.2.1", remotePort: 1, localAddress: "192.0.2.25", localPort: 25, tls: null, helo: "x.test", authUser: null };
  const envelope = { transactionId: "t", mailFrom: "", mailParams: {}, recipients: [] };
  async function run(options: object, msg = message): Promise<Verdict> {
    asked.length = 0;
    const [h] = uribl(options, config);
    if (h!.event !== "smtp.data") throw new Error("expected smtp.data");
    const ctx: HandlerContext = { dns, config, db: undefined as never, hub: undefined as never, now: () => 0, log: silentLogger, signal: new AbortController().signal, results: new Map() };
    return h!.handle({ session, envelope, message: msg }, ctx) as Promise<Verdict>;
  }
  const zones = [{ zone: "dbl.example", codes: { "127.0.1.2": "spam domain" } }, { zone: "down.example" }];

  test("no zones: no handler", () => expect(uribl({}, config)).toEqual([]));
  test("a listed registrable domain: 550 5.7.1, or Junk with action quarantine", async () => {
    expect(await run({ zones })).toEqual({ kind: "reject", reply: { code: 550, enhanced: "5.7.1", text: "Message links to spam-site.test, listed at dbl.example" } });
    expect(asked).toContain("plain-site.test.dbl.example");
    expect(asked).not.toContain("shop.plain-site.test.dbl.example");
    expect(await run({ zones, action: "quarantine" })).toEqual({ kind: "quarantine", reason: "URL domain spam-site.test listed at dbl.example" });
  });
  test("skipDomains, maxDomains and threshold bound what is asked and decided", async () => {
    expect((await run({ zones, skipDomains: ["spam-site.test"] })).kind).toBe("continue");
    const capped = await run({ zones, maxDomains: 1 });
    expect(asked).toEqual(["plain-site.test.dbl.example", "plain-site.test.down.example"]);
    expect(capped).toMatchObject({ kind: "continue", note: expect.stringContaining("3 domains not looked up") });
    expect(await run({ zones, threshold: 2 })).toMatchObject({ kind: "continue", note: expect.stringContaining("worst spam-site.test score 1/2") });
  });
  test("a zone that fails is noted, never counted", async () => {
    const v = await run({ zones: [{ zone: "down.example" }] });
    expect(v).toMatchObject({ kind: "continue", note: expect.stringContaining("down.example: ignored (SERVFAIL)") });
  });
});
