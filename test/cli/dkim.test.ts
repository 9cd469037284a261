// `hikyaku dkim …` through the real CLI: generate prints records that really verify the
// signatures the stored keys make, list/dns/retire/delete follow the key's life cycle, and
// no private key ever reaches stdout.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dkimVerify } from "mailauth";
import { signMessage } from "../../src/delivery/dkim-sign.ts";
import { cliEnv } from "./run-cli.ts";
import type { CliEnv } from "./run-cli.ts";

let cli: CliEnv;
beforeAll(() => {
  cli = cliEnv();
});
afterAll(() => cli.cleanup());

/** The `name:` / `value:` pairs of the plain form. */
function plainRecords(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const [, name, value] of stdout.matchAll(/^name: +(\S+)\nvalue: (.+)$/gm)) m.set(name, value);
  return m;
}

/** Zone-file lines: name → the quoted strings joined. */
function zoneRecords(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const [, name, strings] of stdout.matchAll(/^(\S+)\. IN TXT ((?:"[^"]*" ?)+)$/gm)) {
    const parts = [...strings.matchAll(/"([^"]*)"/g)].map((x) => x[1]);
    expect(parts.every((p) => p.length <= 255)).toBe(true);
    m.set(name, parts.join(""));
  }
  return m;
}

describe("dkim generate", () => {
  test("default selector hkYYYYMM: two keys, records that verify what the keys sign", async () => {
    const r = await cli.run(["dkim", "generate", "Send-Only.test"]);
    expect(r.code).toBe(0);
    // Not a local domain: allowed, with a warning.
    expect(r.stderr).toBe("hikyaku: warning: send-only.test is not a local domain; its keys sign submitted mail whose From: is in it\n");
    const base = /^generated DKIM keys (hk\d{6})-rsa \(rsa-sha256\) and hk\d{6}-ed \(ed25519-sha256\) for send-only\.test/.exec(r.stdout)?.[1];
    expect(base).toBeDefined();
    const plain = plainRecords(r.stdout);
    expect([...plain.keys()].sort()).toEqual([`${base}-ed._domainkey.send-only.test`, `${base}-rsa._domainkey.send-only.test`]);
    expect(zoneRecords(r.stdout)).toEqual(plain);
    expect(plain.get(`${base}-rsa._domainkey.send-only.test`)).toStartWith("v=DKIM1; k=rsa; p=MII");
    expect(plain.get(`${base}-ed._domainkey.send-only.test`)).toMatch(/^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
    expect(r.stdout).not.toContain("PRIVATE KEY");

    const db = await cli.openDb();
    let signed: Uint8Array;
    try {
      const res = await signMessage(db, new TextEncoder().encode("From: a@send-only.test\r\nTo: b@remote.test\r\nSubject: s\r\n\r\nbody\r\n"));
      expect(res.signedBy.length).toBe(2);
      signed = res.message;
    } finally {
      await db.close();
    }
    const resolver = async (name: string) => {
      const v = plain.get(name);
      if (v === undefined) throw Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" });
      return [[v]];
    };
    const v = await dkimVerify(Buffer.from(signed), { resolver, strict: true });
    expect(v.results.map((x) => x.status.result)).toEqual(["pass", "pass"]);
  });

  test("an explicit selector on a local domain: no warning; the same selector again is refused", async () => {
    expect((await cli.run(["domain", "add", "example.test"])).code).toBe(0);
    const r = await cli.run(["dkim", "generate", "example.test", "--selector", "s1"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toContain("s1-rsa._domainkey.example.test. IN TXT ");
    expect(r.stdout).toContain("s1-ed._domainkey.example.test. IN TXT ");
    const again = await cli.run(["dkim", "generate", "example.test", "--selector", "S1"]);
    expect(again).toEqual({ code: 1, stdout: "", stderr: "hikyaku: selector s1-rsa already exists for example.test; choose another with --selector\n" });
  });

  test("bad input: invalid selector or domain exits 1, missing domain is a usage error", async () => {
    expect(await cli.run(["dkim", "generate", "example.test", "--selector", "a_b"])).toMatchObject({ code: 1, stdout: "" });
    expect((await cli.run(["dkim", "generate", "not a domain"])).code).toBe(1);
    expect((await cli.run(["dkim", "generate"])).code).toBe(2);
  });
});

describe("dkim list, dns, retire, delete", () => {
  test("list: table and --json without private keys", async () => {
    await cli.run(["dkim", "generate", "example.test", "--selector", "s2"]);
    const r = await cli.run(["dkim", "list", "example.test"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^DOMAIN\s+SELECTOR\s+ALGORITHM\s+STATE\s+CREATED\s+RETIRED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4).join(" ")).sort()).toEqual([
      "example.test s1-ed ed25519-sha256 active",
      "example.test s1-rsa rsa-sha256 active",
      "example.test s2-ed ed25519-sha256 active",
      "example.test s2-rsa rsa-sha256 active",
    ]);
    const json = await cli.run(["dkim", "list", "--json"]);
    expect(json.stdout).not.toContain("PRIVATE");
    const rows = JSON.parse(json.stdout) as { domain: string; selector: string; record: { name: string; value: string } }[];
    expect(rows.length).toBe(6);
    expect(rows.every((k) => !("privateKey" in k))).toBe(true);
    expect(new Set(rows.map((k) => k.domain))).toEqual(new Set(["example.test", "send-only.test"]));
    expect((await cli.run(["dkim", "list", "nothing.test"])).stdout).toBe("no DKIM keys\n");
  });

  test("retire: dns drops the key (--all keeps it), delete needs a retired key", async () => {
    const before = plainRecords((await cli.run(["dkim", "dns", "example.test"])).stdout);
    expect(before.size).toBe(4);
    const r = await cli.run(["dkim", "retire", "example.test", "s1-rsa"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith("retired s1-rsa for example.test; keep s1-rsa._domainkey.example.test published");
    expect((await cli.run(["dkim", "retire", "example.test", "s1-rsa"])).stdout).toMatch(/already retired at /);
    const after = plainRecords((await cli.run(["dkim", "dns", "example.test"])).stdout);
    expect([...after.keys()].sort()).toEqual([...before.keys()].filter((n) => !n.startsWith("s1-rsa.")).sort());
    const all = await cli.run(["dkim", "dns", "example.test", "--all"]);
    expect(plainRecords(all.stdout)).toEqual(before);
    expect(all.stdout).toContain("; s1-rsa rsa-sha256 retired\n");

    const active = await cli.run(["dkim", "delete", "example.test", "s1-ed"]);
    expect(active).toMatchObject({ code: 1, stdout: "" });
    expect(active.stderr).toContain("is active; retire it first");
    const del = await cli.run(["dkim", "delete", "example.test", "s1-rsa"]);
    expect(del).toEqual({ code: 0, stdout: "deleted s1-rsa for example.test; remove the TXT record s1-rsa._domainkey.example.test\n", stderr: "" });
    expect(plainRecords((await cli.run(["dkim", "dns", "example.test", "--all"])).stdout).size).toBe(3);
    expect(await cli.run(["dkim", "delete", "example.test", "s1-rsa"])).toEqual({ code: 1, stdout: "", stderr: "hikyaku: no DKIM key s1-rsa for example.test\n" });
    expect((await cli.run(["dkim", "retire", "example.test", "nope"])).code).toBe(1);
  });

  test("dns of a domain without active keys exits 1", async () => {
    expect(await cli.run(["dkim", "dns", "nothing.test"])).toEqual({ code: 1, stdout: "", stderr: "hikyaku: no active DKIM keys for nothing.test\n" });
  });

  test("help lists the verbs", async () => {
    const r = await cli.run(["help", "dkim"]);
    expect(r.code).toBe(0);
    for (const v of ["dkim generate <domain> [--selector S] [--json]", "dkim list [domain] [--json]", "dkim dns <domain> [--all] [--json]", "dkim retire <domain> <selector>", "dkim delete <domain> <selector>"]) {
      expect(r.stdout).toContain(v);
    }
  });
});

test("defaultSelector is hk + the UTC year and month", async () => {
  const { defaultSelector } = await import("../../src/cli/dkim.ts");
  expect(defaultSelector(Date.UTC(2026, 0, 31, 23, 59))).toBe("hk202601");
  expect(defaultSelector(Date.UTC(2031, 11, 1))).toBe("hk203112");
});
