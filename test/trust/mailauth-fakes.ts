// Test doubles for the mailauth handler unit tests: a table-driven resolver with node-style
// errors and a query log, a session, a Config, and a handler context around them.

import type { Config } from "../../src/config/schema.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { SessionInfo } from "../../src/events/catalog.ts";
import type { AnyHandler, HandlerContext } from "../../src/events/handler.ts";
import type { Verdict } from "../../src/events/verdict.ts";
import { silentLogger } from "../../src/log/logger.ts";

/** "TXT example.org" → TXT strings (string = one record), "A host" → addresses; or an error code. */
export type FakeZone = Record<string, readonly string[] | readonly string[][] | { error: string }>;

export function fakeResolver(zone: FakeZone) {
  const queries: string[] = [];
  const resolve = async (name: string, rrtype: string): Promise<any> => {
    const key = `${rrtype.toUpperCase()} ${name.toLowerCase().replace(/\.$/, "")}`;
    queries.push(key);
    const hit = zone[key];
    if (hit && !Array.isArray(hit)) throw Object.assign(new Error(`${key}: ${(hit as { error: string }).error}`), { code: (hit as { error: string }).error });
    if (!hit) {
      // A name with any record exists (NODATA); anything else is NXDOMAIN.
      const exists = Object.keys(zone).some((k) => k.split(" ")[1] === key.split(" ")[1]);
      throw Object.assign(new Error(`${key}: no data`), { code: exists ? "ENODATA" : "ENOTFOUND" });
    }
    if (rrtype.toUpperCase() === "TXT") return (hit as readonly (string | string[])[]).map((r) => (Array.isArray(r) ? [...r] : [r]));
    if (rrtype.toUpperCase() === "MX") return (hit as string[]).map((x) => ({ exchange: x, priority: 10 }));
    return [...(hit as string[])];
  };
  return { resolve, queries };
}

export function fakeConfig(trust: Record<string, unknown> = { trustedNetworks: [] }): Config {
  return parseConfig({ hostname: "mx.example.test", trust });
}

export function fakeSession(over: Partial<SessionInfo> = {}): SessionInfo {
  return {
    id: "s1",
    protocol: "smtp",
    role: "mx",
    remoteAddress: "192.0.2.1",
    remotePort: 40000,
    localAddress: "127.0.0.1",
    localPort: 25,
    tls: null,
    helo: "mail.example.org",
    authUser: null,
    ...over,
  };
}

export function fakeCtx(config: Config, resolve: (n: string, t: string) => Promise<any>, results = new Map<string, unknown>()): HandlerContext {
  const dns = { resolve, mx: async () => [], a: async () => [], aaaa: async () => [], txt: async () => [], ptr: async () => [] };
  return { config, dns, results, log: silentLogger, signal: new AbortController().signal, now: () => Date.now() } as unknown as HandlerContext;
}

/** Runs one handler of a factory's list on a payload. */
export async function run(h: AnyHandler | undefined, payload: unknown, ctx: HandlerContext): Promise<Verdict> {
  if (!h) throw new Error("no handler");
  return (await (h.handle as (p: unknown, c: HandlerContext) => unknown)(payload, ctx)) as Verdict;
}

/** Prepends a DKIM-Signature (relaxed/relaxed) made with mailauth's signer. */
export async function dkimSigned(message: string, key: { domain: string; selector: string; privateKey: string; algorithm: "rsa-sha256" | "ed25519-sha256" }): Promise<string> {
  const { dkimSign } = await import("mailauth");
  const res = await dkimSign(Buffer.from(message), {
    signingDomain: key.domain,
    selector: key.selector,
    privateKey: key.privateKey,
    canonicalization: "relaxed/relaxed",
    signatureData: [{ signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey, algorithm: key.algorithm, canonicalization: "relaxed/relaxed" }],
  });
  if (res.errors.length) throw new Error(`signing failed: ${JSON.stringify(res.errors)}`);
  return res.signatures + message;
}

export function mail(from: string, body = "Hello there.\r\n", extra = ""): string {
  return `${extra}From: Sender <${from}>\r\nTo: alice@example.test\r\nSubject: test\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@test>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n${body}`;
}
