// The reputation handlers (dnsbl, fcrdns, helo-check, uribl) against a real server and a real
// authoritative DNS server (Knot) on loopback. Each client connects from its own loopback
// source address (127.0.0.x), so DNS decides per test whether it is listed or confirmed.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ConfigInput } from "../../src/config/schema.ts";
import { findTraces } from "../../src/store/traces.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { startDnsServer, type DnsServer } from "../helpers/dns-server.ts";
import { NO_DNS_CHECKS, startTestServer, type TestServer } from "../helpers/server.ts";

/** RawSmtp from a chosen loopback source address; replies as their last line. */
async function connectFrom(localAddress: string, port: number) {
  const c = await RawSmtp.connect(port, { localAddress });
  const last = (r: { lines: string[] }) => r.lines.at(-1)!;
  return {
    reply: async () => last(await c.reply()),
    cmd: async (line: string) => last(await c.cmd(line)),
    close: () => c.close(),
  };
}

const qp = `<p>Deal: <a href=3D"https://www.spam-si=\r\nte.test/buy?id=3D1">click</a></p>`;
const html = (body: string) =>
  `Subject: offer\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${body}\r\n.`;

/** EHLO, MAIL, RCPT alice, DATA; returns the last reply and the queue id when accepted. */
async function send(from: string, port: number, opts: { helo?: string; body?: string } = {}) {
  const c = await connectFrom(from, port);
  try {
    const greeting = await c.reply();
    if (!greeting.startsWith("220")) return { last: greeting, queueId: null };
    const steps = [`EHLO ${opts.helo ?? "client.good.test"}`, "MAIL FROM:<x@sender.test>", "RCPT TO:<alice@example.test>", "DATA"];
    for (const s of steps) {
      const r = await c.cmd(s);
      if (!/^(250|354)/.test(r)) return { last: r, queueId: null };
    }
    const r = await c.cmd(opts.body ?? "Subject: hi\r\n\r\nhello, see http://www.clean-site.test/\r\n.");
    return { last: r, queueId: /queued as (\S+)/.exec(r)?.[1] ?? null };
  } finally {
    await c.cmd("QUIT").catch(() => "");
    c.close();
  }
}

let dns: DnsServer;
let mx: TestServer;
let strict: TestServer;

/** The built-in pipeline (handlers/mod.ts), switched and tuned through config.trust as a user would. */
function configured(trust: Record<string, unknown>): ConfigInput {
  return { hostname: "mx.example.test", dns: { servers: [dns.address], timeoutMs: 2000 }, trust: { trustedNetworks: [], ...NO_DNS_CHECKS, ...trust } };
}

beforeAll(async () => {
  dns = await startDnsServer({
    zones: {
      "zen.example": [
        { name: "2.0.0.127", type: "A", value: "127.0.0.2" },
        { name: "3.0.0.127", type: "A", value: "127.255.255.254" },
      ],
      "dbl.example": [{ name: "spam-site.test", type: "A", value: "127.0.1.2" }],
      "0.0.127.in-addr.arpa": [
        { name: "6", type: "PTR", value: "mail6.good.test." },
        { name: "7", type: "PTR", value: "liar.good.test." },
      ],
      "good.test": [
        { name: "mail6", type: "A", value: "127.0.0.6" },
        { name: "liar", type: "A", value: "192.0.2.1" },
      ],
    },
    servfail: ["broken.example"],
  });
  // The MX with the proposed defaults plus both lists: only syntax and listings refuse.
  mx = await startTestServer(
    configured({
      dnsbl: { zones: [{ zone: "zen.example", codes: { "127.0.0.2": "SBL" } }, { zone: "broken.example" }] },
      uribl: { zones: [{ zone: "dbl.example" }] },
    }),
  );
  // Every check switched to refuse, DNSBL at connect.
  strict = await startTestServer(
    configured({
      heloCheck: { at: "helo", resolve: "reject" },
      fcrdns: { onFail: "reject" },
      dnsbl: { at: "connect", zones: [{ zone: "zen.example" }] },
    }),
  );
});
afterAll(async () => {
  await mx?.stop();
  await strict?.stop();
  await dns?.stop();
});

async function traceOf(srv: TestServer, queueId: string, handler: string): Promise<string | null> {
  await srv.server.flushTraces();
  const rows = await findTraces(srv.server.db, queueId);
  return rows.find((r) => r.handler === handler)?.text ?? null;
}

describe("dnsbl", () => {
  test("a listed client is refused at RCPT with 550 5.7.1 naming the list", async () => {
    expect((await send("127.0.0.2", mx.port("mx"))).last).toBe("550 5.7.1 Client host [127.0.0.2] listed at zen.example (SBL)");
  });
  test("an unlisted client is accepted; the SERVFAIL zone is ignored with a trace note", async () => {
    const r = await send("127.0.0.5", mx.port("mx"));
    expect(r.last).toStartWith("250 ");
    expect(await traceOf(mx, r.queueId!, "dnsbl")).toBe("score 0/1: zen.example: not listed; broken.example: ignored (SERVFAIL)");
  });
  test("a 127.255.255.254 answer (list operator error) is not a listing", async () => {
    const r = await send("127.0.0.3", mx.port("mx"));
    expect(r.last).toStartWith("250 ");
    expect(await traceOf(mx, r.queueId!, "dnsbl")).toContain("zen.example: ignored (operator error code); ignored 127.255.255.254 (list operator error)");
  });
  test("at connect a listed client gets a 554 greeting", async () => {
    expect((await send("127.0.0.2", strict.port("mx"))).last).toStartWith("554 5.7.1 Client host [127.0.0.2] listed at zen.example");
  });
});

describe("fcrdns", () => {
  test("pass is recorded for Authentication-Results; fail is only annotated by default", async () => {
    const pass = await send("127.0.0.6", mx.port("mx"));
    expect(await traceOf(mx, pass.queueId!, "fcrdns")).toStartWith("iprev=pass policy.iprev=127.0.0.6 (mail6.good.test)");
    const fail = await send("127.0.0.7", mx.port("mx"));
    expect(fail.last).toStartWith("250 ");
    expect(await traceOf(mx, fail.queueId!, "fcrdns")).toStartWith("iprev=fail policy.iprev=127.0.0.7 (liar.good.test)");
  });
  test("onFail reject: a PTR that does not resolve back, or no PTR, is 550 5.7.25; a pass is accepted", async () => {
    expect((await send("127.0.0.7", strict.port("mx"), { helo: "mail6.good.test" })).last).toBe("550 5.7.25 Reverse DNS of [127.0.0.7] does not resolve back to it");
    expect((await send("127.0.0.8", strict.port("mx"), { helo: "mail6.good.test" })).last).toStartWith("550 5.7.25");
    expect((await send("127.0.0.6", strict.port("mx"), { helo: "mail6.good.test" })).last).toStartWith("250 ");
  });
});

describe("helo-check", () => {
  test("a dotless name or a bare IP is refused at MAIL; an address literal is fine", async () => {
    expect((await send("127.0.0.5", mx.port("mx"), { helo: "localhost" })).last).toBe("550 5.7.1 HELO/EHLO refused: localhost: not a fully qualified domain name");
    expect((await send("127.0.0.5", mx.port("mx"), { helo: "127.0.0.5" })).last).toStartWith("550 5.7.1 HELO/EHLO refused: 127.0.0.5");
    expect((await send("127.0.0.5", mx.port("mx"), { helo: "[127.0.0.5]" })).last).toStartWith("250 ");
  });
  test("resolve: reject at EHLO refuses a name without an address", async () => {
    expect((await send("127.0.0.6", strict.port("mx"), { helo: "nowhere.good.test" })).last).toBe("550 5.7.1 HELO/EHLO refused: nowhere.good.test does not resolve");
  });
});

describe("uribl", () => {
  test("a listed domain in a quoted-printable HTML part (URL split by a soft line break) is refused", async () => {
    expect((await send("127.0.0.5", mx.port("mx"), { body: html(qp) })).last).toBe("550 5.7.1 Message links to spam-site.test, listed at dbl.example");
  });
  test("a message linking only to unlisted domains is accepted, the lookup noted", async () => {
    const r = await send("127.0.0.5", mx.port("mx"));
    expect(r.last).toStartWith("250 ");
    expect(await traceOf(mx, r.queueId!, "uribl")).toBe("1 domains, worst clean-site.test score 0/1");
  });
});
