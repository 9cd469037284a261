// A tiny argv parser for `hikyaku <noun> <verb> …`: positionals plus the flags a verb
// declares. Anything else is a usage error (exit 2), never silently ignored.

export class UsageError extends Error {
  readonly code = "USAGE";
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export type FlagSpec = {
  /** Flags that take a value: `--name VALUE` or `--name=VALUE`. */
  values?: readonly string[];
  /** Flags that take none, e.g. `json`. */
  bools?: readonly string[];
};

export type Parsed = {
  positionals: string[];
  flags: Map<string, string | true>;
};

// A password on the command line shows up in `ps` and in shell history.
const PASSWORD_FLAGS = new Set(["password", "pass", "passwd", "pw", "p"]);

export function parseArgs(argv: readonly string[], spec: FlagSpec = {}): Parsed {
  const values = new Set(spec.values ?? []);
  const bools = new Set(spec.bools ?? []);
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = (eq >= 0 ? arg.slice(0, eq) : arg).replace(/^--?/, "");
    if (PASSWORD_FLAGS.has(name)) {
      throw new UsageError("passwords are never taken as arguments (they would show in ps and shell history); use --password-file FILE or stdin");
    }
    if (values.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === "") throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else if (bools.has(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    } else {
      throw new UsageError(`unknown option ${eq >= 0 ? arg.slice(0, eq) : arg}`);
    }
  }
  return { positionals, flags };
}

/** True when `--help`/`-h` appears before any `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
  }
  return false;
}

export function flagString(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

export function flagBool(p: Parsed, name: string): boolean {
  return p.flags.get(name) === true;
}
