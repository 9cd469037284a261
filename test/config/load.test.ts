// Config loading: defaults (DESIGN §9), validation errors that name the field, env overrides.

import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, parseConfig, databaseUrl } from "../../src/config/load.ts";

test("defaults: loopback, unprivileged ports, ./data", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hikyaku-cfg-"));
  const { config, file } = await loadConfig({}, dir);
  expect(file).toBeNull();
  expect(config.dataDir).toBe(join(dir, "data"));
  expect(config.listeners.map((l) => [l.role, l.host, l.port])).toEqual([
    ["mx", "127.0.0.1", 2525],
    ["submission", "127.0.0.1", 2587],
    ["submissions", "127.0.0.1", 2465],
    ["lmtp", "127.0.0.1", 2424],
    ["imap", "127.0.0.1", 2143],
    ["imaps", "127.0.0.1", 2993],
    ["pop3", "127.0.0.1", 2110],
    ["pop3s", "127.0.0.1", 2995],
  ]);
  expect(config.limits.maxRecipients).toBe(100);
  expect(config.auth.allowPlaintextOnLoopback).toBe(false);
  expect(databaseUrl(config)).toBe(`file:${join(dir, "data", "hikyaku.db")}`);
  rmSync(dir, { recursive: true });
});

test("HIKYAKU_CONFIG and HIKYAKU_DATA are honoured", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hikyaku-cfg-"));
  writeFileSync(join(dir, "my.config.ts"), `export default { hostname: "mx.example.com", limits: { maxRecipients: 500 } };`);
  const { config, file } = await loadConfig({ HIKYAKU_CONFIG: "my.config.ts", HIKYAKU_DATA: "/srv/mail" }, dir);
  expect(file).toBe(join(dir, "my.config.ts"));
  expect(config.hostname).toBe("mx.example.com");
  expect(config.limits.maxRecipients).toBe(500);
  expect(config.dataDir).toBe("/srv/mail");
  rmSync(dir, { recursive: true });
});

test("a named config file that does not exist is an error", async () => {
  await expect(loadConfig({ HIKYAKU_CONFIG: "/nonexistent/x.ts" })).rejects.toBeInstanceOf(ConfigError);
});

test("invalid values are refused with the field named", () => {
  expect(() => parseConfig({ limits: { maxRecipients: 10 } })).toThrow(/limits\.maxRecipients/);
  expect(() => parseConfig({ listeners: [{ role: "smtp" as never, port: 25 }] })).toThrow(/listeners\.0\.role/);
  expect(() => parseConfig({ listeners: [{ role: "mx", port: 70000 }] })).toThrow(/listeners\.0\.port/);
});
