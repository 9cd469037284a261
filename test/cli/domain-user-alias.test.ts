// The CLI end to end as a subprocess: domains, users (password from file and from stdin,
// verified with the store afterwards) and aliases including catch-alls.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkPassword, findAccount } from "../../src/store/accounts.ts";
import { addDomain, listDomains } from "../../src/store/domains.ts";
import { cliEnv } from "./run-cli.ts";
import type { CliEnv } from "./run-cli.ts";

let cli: CliEnv;
beforeAll(() => {
  cli = cliEnv();
});
afterAll(() => cli.cleanup());

async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await cli.run(args, { stdin });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  return r.stdout;
}

describe("domain", () => {
  test("add, list (table and --json), duplicate, remove", async () => {
    expect(await ok(["domain", "add", "Example.TEST"])).toBe("added domain example.test\n");
    expect(await ok(["domain", "add", "other.test"])).toContain("other.test");
    const dup = await cli.run(["domain", "add", "example.test"]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toBe("hikyaku: domain example.test already exists\n");
    const table = await ok(["domain", "list"]);
    expect(table.split("\n")[0]).toMatch(/^DOMAIN\s+CREATED$/);
    expect(table).toContain("example.test");
    const json = JSON.parse(await ok(["domain", "list", "--json"])) as { name: string }[];
    expect(json.map((d) => d.name)).toEqual(["example.test", "other.test"]);
    expect(await ok(["domain", "remove", "other.test"])).toBe("removed domain other.test\n");
    const gone = await cli.run(["domain", "remove", "other.test"]);
    expect(gone).toEqual({ code: 1, stdout: "", stderr: "hikyaku: no such domain: other.test\n" });
    const bad = await cli.run(["domain", "add", "not a domain"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^hikyaku: not a valid domain name/);
    expect(bad.stderr.split("\n").length).toBe(2); // one line, no stack trace
  });
});

describe("user", () => {
  test("add with --password-file; the stored password verifies", async () => {
    const file = join(cli.dir, "pw.txt");
    writeFileSync(file, "correct horse battery\r\nsecond line ignored\n");
    expect(await ok(["user", "add", "alice@example.test", "--password-file", file])).toBe("added user alice@example.test\n");
    const db = await cli.openDb();
    try {
      expect(await checkPassword(db, "alice@example.test", "correct horse battery")).toMatchObject({ address: "alice@example.test" });
      expect(await checkPassword(db, "alice@example.test", "correct horse battery\r")).toBeNull();
    } finally {
      await db.close();
    }
  });

  test("add with the password on stdin (first line, newline stripped)", async () => {
    expect(await ok(["user", "add", "bob@example.test"], "s3cret pass\nextra\n")).toBe("added user bob@example.test\n");
    const db = await cli.openDb();
    try {
      expect(await checkPassword(db, "bob@example.test", "s3cret pass")).not.toBeNull();
    } finally {
      await db.close();
    }
  });

  test("refusals: existing user, unknown domain, empty password, unreadable file", async () => {
    expect(await cli.run(["user", "add", "alice@example.test"], { stdin: "x\n" })).toMatchObject({ code: 1, stderr: "hikyaku: account alice@example.test already exists\n" });
    expect(await cli.run(["user", "add", "a@nowhere.test"], { stdin: "x\n" })).toMatchObject({ code: 1, stderr: "hikyaku: domain nowhere.test is not a local domain\n" });
    expect(await cli.run(["user", "add", "carol@example.test"])).toMatchObject({ code: 1, stderr: "hikyaku: empty password refused\n" });
    const missing = await cli.run(["user", "add", "carol@example.test", "--password-file", join(cli.dir, "nope")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^hikyaku: cannot read password file .*ENOENT\n$/);
  });

  test("passwd, disable, enable, list, remove", async () => {
    expect(await ok(["user", "passwd", "bob@example.test"], "n3w\n")).toBe("password changed for bob@example.test\n");
    expect(await ok(["user", "disable", "bob@example.test"])).toBe("disabled user bob@example.test\n");
    let users = JSON.parse(await ok(["user", "list", "--json"])) as { address: string; disabled: boolean }[];
    expect(users.map((u) => [u.address, u.disabled])).toEqual([["alice@example.test", false], ["bob@example.test", true]]);
    expect(await ok(["user", "list"])).toMatch(/bob@example\.test\s+disabled/);
    expect(await ok(["user", "enable", "bob@example.test"])).toBe("enabled user bob@example.test\n");
    const db = await cli.openDb();
    try {
      expect(await checkPassword(db, "bob@example.test", "n3w")).not.toBeNull();
      expect(await checkPassword(db, "bob@example.test", "s3cret pass")).toBeNull();
    } finally {
      await db.close();
    }
    expect(await cli.run(["user", "passwd", "nobody@example.test"], { stdin: "x\n" })).toMatchObject({ code: 1, stderr: "hikyaku: no such user: nobody@example.test\n" });
    expect(await ok(["user", "remove", "bob@example.test"])).toBe("removed user bob@example.test\n");
    expect(await cli.run(["user", "remove", "bob@example.test"])).toMatchObject({ code: 1, stderr: "hikyaku: no such user: bob@example.test\n" });
    users = JSON.parse(await ok(["user", "list", "--json"]));
    expect(users.map((u) => u.address)).toEqual(["alice@example.test"]);
  });

  test("a domain with users cannot be removed", async () => {
    expect(await cli.run(["domain", "remove", "example.test"])).toMatchObject({ code: 1, stderr: "hikyaku: domain example.test still has 1 account(s)\n" });
  });
});

describe("alias", () => {
  test("add (address and catch-all), list, remove", async () => {
    expect(await ok(["alias", "add", "postmaster@example.test", "alice@example.test"])).toBe("added alias postmaster@example.test -> alice@example.test\n");
    expect(await ok(["alias", "add", "@example.test", "alice@example.test"])).toBe("added alias @example.test -> alice@example.test\n");
    expect(await ok(["alias", "add", "team@example.test", "Friend@remote.test"])).toContain("Friend@remote.test");
    const list = JSON.parse(await ok(["alias", "list", "--json"])) as { source: string; destination: string }[];
    expect(list.map((a) => [a.source, a.destination])).toEqual([
      ["@example.test", "alice@example.test"],
      ["postmaster@example.test", "alice@example.test"],
      ["team@example.test", "Friend@remote.test"],
    ]);
    expect(await ok(["alias", "list"])).toMatch(/^SOURCE\s+DESTINATION\s+CREATED\n@example\.test\s+alice@example\.test/);
    expect(await cli.run(["alias", "add", "x@elsewhere.test", "alice@example.test"])).toMatchObject({ code: 1, stderr: "hikyaku: domain elsewhere.test is not a local domain\n" });
    expect(await cli.run(["alias", "add", "@example.test", "alice@example.test"])).toMatchObject({ code: 1 });
    expect(await ok(["alias", "remove", "team@example.test", "Friend@remote.test"])).toBe("removed 1 alias\n");
    expect(await cli.run(["alias", "remove", "team@example.test"])).toMatchObject({ code: 1, stderr: "hikyaku: no such alias: team@example.test\n" });
    const db = await cli.openDb();
    try {
      expect(await findAccount(db, "alice@example.test")).not.toBeNull();
    } finally {
      await db.close();
    }
  });
});

describe("while the server has the database open", () => {
  test("CLI writes and the open connection's writes both land", async () => {
    const db = await cli.openDb();
    try {
      const busy = Promise.all(Array.from({ length: 20 }, (_, i) => addDomain(db, `server${i}.test`)));
      const [r] = await Promise.all([cli.run(["domain", "add", "live.test"]), busy]);
      expect(r).toEqual({ code: 0, stdout: "added domain live.test\n", stderr: "" });
      const names = (await listDomains(db)).map((d) => d.name);
      expect(names).toContain("live.test");
      expect(names).toContain("server19.test");
    } finally {
      await db.close();
    }
  });
});
