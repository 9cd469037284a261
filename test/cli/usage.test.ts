// Usage handling of the CLI subprocess: help goes to stdout with exit 0, bad usage to
// stderr with exit 2, and a password is never accepted (or echoed) from argv.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { cliEnv } from "./run-cli.ts";
import type { CliEnv } from "./run-cli.ts";

let cli: CliEnv;
beforeAll(() => {
  cli = cliEnv();
});
afterAll(() => cli.cleanup());

describe("help", () => {
  test("--help and help list every command, without touching the database", async () => {
    for (const args of [["--help"], ["help"], ["-h"]]) {
      const r = await cli.run(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      for (const cmd of ["domain add", "domain remove", "domain list", "user add", "user passwd", "user disable", "user enable", "alias add", "alias remove", "alias list", "trace <", "queue list", "--json"]) {
        expect(r.stdout).toContain(cmd);
      }
      expect(r.stdout).toContain("alice+tag@example.test");
    }
    expect(existsSync(join(cli.dir, "data"))).toBe(false);
  });

  test("noun help", async () => {
    for (const args of [["help", "alias"], ["alias", "--help"], ["alias", "add", "-h"]]) {
      const r = await cli.run(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toStartWith("hikyaku alias:");
      expect(r.stdout).toContain("Plus-addressing needs no alias");
      expect(r.stdout).not.toContain("hikyaku user add");
    }
  });
});

describe("bad usage exits 2 with usage on stderr", () => {
  const cases: [string, string[], RegExp][] = [
    ["no command", [], /missing command/],
    ["unknown noun", ["frobnicate"], /unknown command: frobnicate/],
    ["unknown verb", ["domain", "explode"], /unknown verb: domain explode/],
    ["missing verb", ["queue"], /missing verb for queue/],
    ["missing argument", ["domain", "add"], /missing argument: hikyaku domain add <name>/],
    ["too many arguments", ["alias", "add", "a@x.test", "b@x.test", "c@x.test"], /too many arguments/],
    ["unknown option", ["domain", "list", "--yaml"], /unknown option --yaml/],
    ["--json where it means nothing", ["domain", "add", "x.test", "--json"], /unknown option --json/],
    ["--password-file without value", ["user", "add", "a@x.test", "--password-file"], /--password-file needs a value/],
    ["trace without id", ["trace"], /missing argument/],
    ["help for unknown noun", ["help", "nope"], /no help for nope/],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const r = await cli.run(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain("Usage:");
    });
  }
});

describe("passwords are never taken from argv", () => {
  test("usage offers no password argument", async () => {
    const r = await cli.run(["help", "user"]);
    expect(r.stdout).not.toMatch(/<pass/i);
    expect(r.stdout).not.toMatch(/--password(?!-file)/);
  });

  test("a password as a positional or a flag is refused and not echoed; nothing is created", async () => {
    expect((await cli.run(["domain", "add", "example.test"])).code).toBe(0);
    const attempts = [
      ["user", "add", "alice@example.test", "Hunter2secret"],
      ["user", "add", "alice@example.test", "--password", "Hunter2secret"],
      ["user", "add", "alice@example.test", "--password=Hunter2secret"],
      ["user", "passwd", "alice@example.test", "-p", "Hunter2secret"],
    ];
    for (const args of attempts) {
      const r = await cli.run(args, { stdin: "fromstdin\n" });
      expect(r.code).toBe(2);
      expect(r.stderr).not.toContain("Hunter2secret");
    }
    const flag = await cli.run(attempts[1]);
    expect(flag.stderr).toContain("passwords are never taken as arguments");
    const users = JSON.parse((await cli.run(["user", "list", "--json"])).stdout) as unknown[];
    expect(users).toEqual([]);
  });
});
