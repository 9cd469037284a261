// fcrdns / iprev unit tests (RFC 8601 §3) with a fake resolver.

import { expect, test } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import { DnsError, type DnsResolver } from "../../src/dns/resolver.ts";
import type { HandlerContext } from "../../src/events/handler.ts";
import type { SessionInfo } from "../../src/events/catalog.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { checkIprev, iprevAuthResult } from "../../src/trust/iprev.ts";
import { fcrdns } from "../../handlers/fcrdns.ts";

/** "PTR 192.0.2.1" / "A mail.test" / "AAAA mail.test" → answers, a DnsError code, or "hang". */
type Table = Record<string, string[] | DnsError["code"] | "hang">;
function fakeDns(table: Table): DnsResolver {
  const look = (type: string) => (name: string) => {
    const r = table[`${type} ${name}`];
    if (r === "hang") return new Promise<string[]>(() => {});
    if (r === undefined) return Promise.reject(new DnsError("NXDOMAIN", name, type));
    if (typeof r === "string") return Promise.reject(new DnsError(r, name, type));
    return Promise.resolve(r);
  };
  const none = () => Promise.reject(new Error("not used"));
  return { ptr: look("PTR"), a: look("A"), aaaa: look("AAAA"), mx: none, txt: none, resolve: none } as DnsResolver;
}
const opts = { maxNames: 10, timeoutMs: 20, signal: new AbortController().signal };
const table: Table = {
  "PTR 192.0.2.1": ["mail.good.test."],
  "A mail.good.test": ["192.0.2.1"],
  "PTR 192.0.2.2": ["liar.test", "other.test"],
  "A liar.test": ["198.51.100.7"],
  "A other.test": "NODATA",
  "PTR 192.0.2.3": "SERVFAIL",
  "PTR 192.0.2.4": ["slow.test"],
  "A slow.test": "hang",
  "PTR 2001:db8::25": ["v6.good.test"],
  "AAAA v6.good.test": ["2001:0db8:0:0:0:0:0:25"],
};

test("pass: a PTR name resolves back to the IP (IPv6 compared whatever its spelling)", async () => {
  const r = await checkIprev(fakeDns(table), "192.0.2.1", opts);
  expect(r).toMatchObject({ result: "pass", confirmed: "mail.good.test" });
  expect(iprevAuthResult(r)).toBe("iprev=pass policy.iprev=192.0.2.1 (mail.good.test)");
  expect((await checkIprev(fakeDns(table), "2001:db8::25", opts)).result).toBe("pass");
  expect((await checkIprev(fakeDns(table), "::ffff:192.0.2.1", opts)).ip).toBe("192.0.2.1");
});

test("fail: no PTR, or no name resolves back", async () => {
  expect(await checkIprev(fakeDns(table), "192.0.2.9", opts)).toMatchObject({ result: "fail", reason: "PTR NXDOMAIN" });
  const r = await checkIprev(fakeDns(table), "192.0.2.2", opts);
  expect(r.result).toBe("fail");
  expect(iprevAuthResult(r)).toBe("iprev=fail policy.iprev=192.0.2.2 (liar.test)");
});

test("temperror: PTR SERVFAIL, or a forward lookup that never answers", async () => {
  expect(await checkIprev(fakeDns(table), "192.0.2.3", opts)).toMatchObject({ result: "temperror", reason: "PTR SERVFAIL" });
  expect((await checkIprev(fakeDns(table), "192.0.2.4", opts)).result).toBe("temperror");
});

test("at most maxNames names are checked", async () => {
  const many: Table = { "PTR 192.0.2.5": ["a.test", "b.test", "c.test"], "A c.test": ["192.0.2.5"] };
  expect((await checkIprev(fakeDns(many), "192.0.2.5", { ...opts, maxNames: 2 })).result).toBe("fail");
  expect((await checkIprev(fakeDns(many), "192.0.2.5", { ...opts, maxNames: 3 })).result).toBe("pass");
});

const config = parseConfig({ hostname: "mx.example.test", trust: { trustedNetworks: [] } });
function ctx(): HandlerContext {
  return { dns: fakeDns(table), config, db: undefined as never, hub: undefined as never, now: () => 0, log: silentLogger, signal: new AbortController().signal, results: new Map() };
}
const session = (ip: string): SessionInfo => ({ id: "s", protocol: "smtp", role: "mx", remoteAddress: ip, remotePort: 1, localAddress: "192.0.2.25", localPort: 25, tls: null, helo: "x.test", authUser: null });
async function run(options: object, ip: string, c = ctx()) {
  const [h] = fcrdns({ lookupTimeoutMs: 20, ...options }, config);
  if (h!.event !== "smtp.mail") throw new Error("expected smtp.mail");
  return h!.handle({ session: session(ip), transactionId: "t", from: "", params: {} }, c);
}

test("default: annotate only, and leave the Authentication-Results entry in ctx.results", async () => {
  const c = ctx();
  expect(await run({}, "192.0.2.2", c)).toMatchObject({ kind: "continue", note: expect.stringContaining("iprev=fail policy.iprev=192.0.2.2") });
  expect(c.results.get("fcrdns")).toMatchObject({ result: "fail", authResults: ["iprev=fail policy.iprev=192.0.2.2 (liar.test)"] });
  expect((await run({}, "192.0.2.3")).kind).toBe("continue");
});

test("onFail reject: 550 5.7.25 (RFC 7372); onTempError tempfail: 451 4.7.25; a pass goes on", async () => {
  expect(await run({ onFail: "reject" }, "192.0.2.9")).toMatchObject({ kind: "reject", reply: { code: 550, enhanced: "5.7.25" } });
  expect(await run({ onTempError: "tempfail" }, "192.0.2.3")).toMatchObject({ kind: "tempfail", reply: { code: 451, enhanced: "4.7.25" } });
  expect((await run({ onFail: "reject", onTempError: "tempfail" }, "192.0.2.1")).kind).toBe("continue");
});

test("bad options name the handler", () => expect(() => fcrdns({ onFail: "drop" }, config)).toThrow(/fcrdns/));
