// Finds external programs (Debian packages, npm-installed runtimes) for the real-client and
// real-peer suites. Locally a missing tool skips its suite with a message; under CI (CI=true)
// `.ci/run` has installed everything, so a missing tool is a failure, never a silent skip.

import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { Db } from "../../src/db/client.ts";
import { findAccount } from "../../src/store/accounts.ts";
import { findMailbox, getBody, listMessages } from "../../src/store/messages.ts";

// Postfix and sendmail live in sbin, which a non-login PATH may lack.
const EXTRA_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/** Absolute path of an executable named `name` on PATH (plus the sbin directories), or null. */
export function findBinary(name: string): string | null {
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

export const inCi = process.env.CI === "true" || process.env.CI === "1";

export type Tool = {
  /** Absolute path of a requested binary; throws a clear error when it is missing. */
  bin(name: string): string;
  /** True when the suite should be skipped: some binary is missing and this is not CI. */
  skip: boolean;
  /** The binaries that were not found. */
  missing: string[];
};

/**
 * Looks up every binary a suite needs. When some are missing outside CI, prints one clear
 * line saying which suite is skipped and how to get the tools; in CI it returns skip=false,
 * so the suite runs and fails loudly at its first use of the missing tool.
 */
export function requireTools(suite: string, names: string[], hint = "bash .ci/run installs them"): Tool {
  const path: Record<string, string> = {};
  const missing: string[] = [];
  for (const n of names) {
    const p = findBinary(n);
    if (p) path[n] = p;
    else missing.push(n);
  }
  const skip = missing.length > 0 && !inCi;
  if (missing.length > 0) {
    const what = `${suite}: ${missing.join(", ")} not installed (${hint})`;
    console.warn(skip ? `skipping ${what}` : `FAILING ${what}; CI must install them`);
  }
  const bin = (name: string): string => {
    const p = path[name];
    if (!p) throw new Error(`${name} is not installed (${hint})`);
    return p;
  };
  return { bin, skip, missing };
}

export type RunResult = { code: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean };

/**
 * Runs a program to completion with a hard deadline: on timeout the child (by its PID) gets
 * SIGKILL and the result says timedOut. Standard input is `input` or empty.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string | Uint8Array; timeoutMs?: number; env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 15_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

/** Polls `read` until `done(value)` holds or `timeoutMs` passes; returns the last value. */
export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() >= deadline) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The raw messages (decoded as UTF-8) in the INBOX of `address`, oldest first. */
export async function inboxBodies(db: Db, address: string): Promise<string[]> {
  const acct = await findAccount(db, address);
  if (!acct) throw new Error(`no account ${address}`);
  const inbox = await findMailbox(db, acct.id, "INBOX");
  if (!inbox) return [];
  const out: string[] = [];
  for (const m of await listMessages(db, inbox.id)) {
    const b = await getBody(db, m.bodyHash);
    if (b) out.push(new TextDecoder().decode(b.content));
  }
  return out;
}
