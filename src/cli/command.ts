// The shape of a CLI command (a noun with verbs) and the usage text built from it, so
// `--help`, `help` and usage errors always describe exactly what dispatch accepts.

import type { Db } from "../db/client.ts";
import type { FlagSpec, Parsed } from "./args.ts";

export type Ctx = {
  /** Opens the database on first use (help and usage errors never touch it). */
  db(): Promise<Db>;
};

export type Verb = {
  /** null for a noun that takes its arguments directly (`hikyaku trace <id>`). */
  name: string | null;
  /** Synopsis after the verb, e.g. `<address> [--password-file FILE]`. */
  synopsis: string;
  summary: string;
  /** Required and maximum number of positionals. */
  min: number;
  max: number;
  flags?: FlagSpec;
  /** Returns the exit code (0 when omitted). */
  run(ctx: Ctx, args: Parsed): Promise<number | void>;
};

export type Noun = {
  name: string;
  summary: string;
  verbs: readonly Verb[];
  /** Extra lines printed under the noun's commands. */
  notes?: readonly string[];
};

const JSON_FLAG = "--json";

function line(noun: Noun, verb: Verb): [string, string] {
  const json = verb.flags?.bools?.includes("json") ? ` [${JSON_FLAG}]` : "";
  const parts = ["hikyaku", noun.name, verb.name ?? "", verb.synopsis].filter((p) => p !== "");
  return [parts.join(" ") + json, verb.summary];
}

function table(rows: readonly [string, string][]): string[] {
  const width = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`);
}

export function nounUsage(noun: Noun): string {
  const out = [`hikyaku ${noun.name}: ${noun.summary}`, "", "Usage:", ...table(noun.verbs.map((v) => line(noun, v)))];
  if (noun.notes && noun.notes.length > 0) out.push("", ...noun.notes.map((n) => `  ${n}`));
  return out.join("\n") + "\n";
}

export function globalUsage(nouns: readonly Noun[]): string {
  const out = [
    "hikyaku: manage a Hikyaku mail server (works while the server runs)",
    "",
    "Usage: hikyaku <noun> <verb> [arguments] [options]",
    "",
    "Commands:",
    ...table(nouns.flatMap((n) => n.verbs.map((v) => line(n, v)))),
    "",
    "Options:",
    ...table([
      [JSON_FLAG, "machine-readable output (list and trace commands)"],
      ["--password-file FILE", "read the password from the first line of FILE"],
      ["-h, --help", "show this help; `hikyaku help <noun>` for one command"],
    ]),
    "",
    "Notes:",
    ...nouns.flatMap((n) => (n.notes ?? []).map((x) => `  ${x}`)),
    "",
    "Environment:",
    ...table([
      ["HIKYAKU_CONFIG", "config file (default ./hikyaku.config.ts)"],
      ["HIKYAKU_DATA", "data directory (default ./data)"],
    ]),
    "",
    "Exit status: 0 success, 1 failure (message on stderr), 2 usage error.",
  ];
  return out.join("\n") + "\n";
}
