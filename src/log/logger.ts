// Structured logging (DESIGN §8): one JSON object per line in production, a compact
// human form on a terminal. Never pass passwords or message bodies to it.

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Readonly<Record<string, unknown>>;

/** Call the methods on the logger (`log.info(…)`): they are shared prototype methods, not bound. */
export type Logger = {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
};

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogSink = (line: string) => void;

/** What every logger of one createLogger() shares. */
type Core = { readonly min: number; readonly format: "json" | "text"; readonly sink: LogSink };

/**
 * One logger is three references: every IMAP connection holds a child for as long as it is
 * open (tens of thousands idle), so a child must not own closures or a copy of its parent's
 * fields. The fields are merged when a line is written, which is rare next to child().
 */
class ChainLogger implements Logger {
  readonly #core: Core;
  readonly #parent: ChainLogger | null;
  readonly #fields: LogFields;

  constructor(core: Core, parent: ChainLogger | null, fields: LogFields) {
    this.#core = core;
    this.#parent = parent;
    this.#fields = fields;
  }

  debug(msg: string, fields?: LogFields): void {
    this.#emit("debug", msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.#emit("info", msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.#emit("warn", msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.#emit("error", msg, fields);
  }

  child(fields: LogFields): Logger {
    return new ChainLogger(this.#core, this, fields);
  }

  /** Root first, each child's fields over its parent's (as `{ ...parent, ...child }` did). */
  #bindings(): LogFields {
    const p = this.#parent;
    return p === null ? this.#fields : { ...p.#bindings(), ...this.#fields };
  }

  #emit(level: LogLevel, msg: string, fields?: LogFields): void {
    const core = this.#core;
    if (ORDER[level] < core.min) return;
    const base = this.#bindings();
    const rec = { t: new Date().toISOString(), level, msg, ...base, ...fields };
    if (core.format === "json") core.sink(JSON.stringify(rec, jsonSafe));
    else {
      const extra = Object.entries({ ...base, ...fields })
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v, jsonSafe)}`)
        .join(" ");
      core.sink(`${rec.t} ${level.toUpperCase()} ${msg}${extra ? " " + extra : ""}`);
    }
  }
}

export function createLogger(opts: {
  level?: LogLevel;
  format?: "json" | "text";
  sink?: LogSink;
  base?: LogFields;
}): Logger {
  const core: Core = {
    min: ORDER[opts.level ?? "info"],
    format: opts.format ?? "json",
    sink: opts.sink ?? ((line: string) => process.stderr.write(line + "\n")),
  };
  return new ChainLogger(core, null, opts.base ?? {});
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** A logger that drops everything (tests, CLI). */
export const silentLogger: Logger = createLogger({ level: "error", sink: () => {} });
