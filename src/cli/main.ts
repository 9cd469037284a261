#!/usr/bin/env bun
// `hikyaku <noun> <verb>`: dispatch, the database opened on demand (and closed so the
// process exits), and exit codes: 0 ok, 1 failure (one line on stderr), 2 usage.

import process from "node:process";
import { openDb } from "../db/client.ts";
import type { Db } from "../db/client.ts";
import { ConfigError, databaseUrl, loadConfig } from "../config/load.ts";
import { StoreError } from "../store/errors.ts";
import { UsageError, parseArgs, wantsHelp } from "./args.ts";
import { globalUsage, nounUsage } from "./command.ts";
import type { Ctx, Noun, Verb } from "./command.ts";
import { alias } from "./alias.ts";
import { dkim } from "./dkim.ts";
import { domain } from "./domain.ts";
import { CliError, err, out } from "./io.ts";
import { queue } from "./queue.ts";
import { mailbox } from "./mailbox.ts";
import { trace } from "./trace.ts";
import { user } from "./user.ts";

export const NOUNS: readonly Noun[] = [domain, user, alias, mailbox, trace, queue, dkim];

type Target = { noun: Noun | null; verb: Verb | null; rest: string[] };

function resolve(argv: readonly string[]): Target {
  const noun = NOUNS.find((n) => n.name === argv[0]) ?? null;
  if (noun === null) return { noun, verb: null, rest: [] };
  const direct = noun.verbs.find((v) => v.name === null);
  if (direct) return { noun, verb: direct, rest: argv.slice(1) };
  const verb = noun.verbs.find((v) => v.name === argv[1]) ?? null;
  return { noun, verb, rest: argv.slice(2) };
}

async function dispatch(argv: readonly string[], ctx: Ctx): Promise<number> {
  if (argv[0] === "help") {
    const noun = NOUNS.find((n) => n.name === argv[1]);
    if (argv.length > 2 || (argv.length === 2 && !noun)) throw new UsageError(`no help for ${argv.slice(1).join(" ")}`);
    out(noun ? nounUsage(noun) : globalUsage(NOUNS));
    return 0;
  }
  const { noun, verb, rest } = resolve(argv);
  if (wantsHelp(argv)) {
    out(noun ? nounUsage(noun) : globalUsage(NOUNS));
    return 0;
  }
  if (argv.length === 0) throw new UsageError("missing command");
  if (noun === null) throw new UsageError(`unknown command: ${argv[0]}`);
  if (verb === null) throw new UsageError(argv[1] === undefined ? `missing verb for ${noun.name}` : `unknown verb: ${noun.name} ${argv[1]}`);
  const args = parseArgs(rest, verb.flags);
  const n = args.positionals.length;
  if (n < verb.min) throw new UsageError(`missing argument: hikyaku ${noun.name} ${verb.name ?? ""} ${verb.synopsis}`.replace(/ +/g, " "));
  // Not echoed: a stray argument may be a password typed where it must not go.
  if (n > verb.max) throw new UsageError(`too many arguments (${n}, at most ${verb.max})`);
  return (await verb.run(ctx, args)) ?? 0;
}

/** One line: store, config and database errors are expected failures, not crashes. */
function report(e: unknown, argv: readonly string[]): number {
  if (e instanceof UsageError) {
    const noun = NOUNS.find((n) => n.name === argv[0]);
    err(`hikyaku: ${e.message}\n`);
    err(noun ? nounUsage(noun) : globalUsage(NOUNS));
    return 2;
  }
  const message = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  if (e instanceof CliError) {
    err(`hikyaku: ${message}`);
    return e.exitCode;
  }
  if (e instanceof StoreError || e instanceof ConfigError) {
    err(`hikyaku: ${message}`);
    return 1;
  }
  const code = (e as { code?: unknown } | null)?.code;
  err(`hikyaku: ${typeof code === "string" ? `${code}: ` : "unexpected error: "}${message}`);
  return 1;
}

export async function main(argv: readonly string[]): Promise<number> {
  let db: Db | null = null;
  const ctx: Ctx = {
    async db() {
      if (db === null) {
        const { config } = await loadConfig(process.env);
        db = await openDb({ url: databaseUrl(config), authToken: config.database.authToken });
      }
      return db;
    },
  };
  let code: number;
  try {
    code = await dispatch(argv, ctx);
  } catch (e) {
    code = report(e, argv);
  }
  if (db !== null) {
    try {
      await (db as Db).close();
    } catch (e) {
      code = Math.max(code, report(e, argv));
    }
  }
  return code;
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
