// Test helper: runs the real `hikyaku` CLI as a subprocess against a temp data directory
// (with an empty config file there, so a developer's ./hikyaku.config.ts never leaks in).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openDb } from "../../src/db/client.ts";
import type { Db } from "../../src/db/client.ts";

const ROOT = resolve(import.meta.dir, "../..");

export type CliResult = { code: number; stdout: string; stderr: string };

export type CliEnv = {
  dir: string;
  run(args: readonly string[], opts?: { stdin?: string }): Promise<CliResult>;
  /** Opens the CLI's database in this process (close it before the next CLI run is fine too). */
  openDb(): Promise<Db>;
  cleanup(): void;
};

export function cliEnv(): CliEnv {
  const dir = mkdtempSync(join(tmpdir(), "hikyaku-cli-"));
  const config = join(dir, "hikyaku.config.ts");
  writeFileSync(config, "export default {};\n");
  const env = { ...process.env, HIKYAKU_DATA: join(dir, "data"), HIKYAKU_CONFIG: config };
  return {
    dir,
    async run(args, opts = {}) {
      const proc = Bun.spawn([process.execPath, "run", "src/cli/main.ts", ...args], {
        cwd: ROOT,
        env,
        stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      return { code, stdout, stderr };
    },
    openDb() {
      return openDb({ url: `file:${join(dir, "data", "hikyaku.db")}` });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
