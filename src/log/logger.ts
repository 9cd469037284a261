// Structured logging (DESIGN §8): one JSON object per line in production, a compact
// human form on a terminal. Never pass passwords or message bodies to it.

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Readonly<Record<string, unknown>>;

export type Logger = {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
};

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogSink = (line: string) => void;

export function createLogger(opts: {
  level?: LogLevel;
  format?: "json" | "text";
  sink?: LogSink;
  base?: LogFields;
}): Logger {
  const min = ORDER[opts.level ?? "info"];
  const format = opts.format ?? "json";
  const sink = opts.sink ?? ((line: string) => process.stderr.write(line + "\n"));
  const make = (base: LogFields): Logger => {
    const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (ORDER[level] < min) return;
      const rec = { t: new Date().toISOString(), level, msg, ...base, ...fields };
      if (format === "json") sink(JSON.stringify(rec, jsonSafe));
      else {
        const extra = Object.entries({ ...base, ...fields })
          .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v, jsonSafe)}`)
          .join(" ");
        sink(`${rec.t} ${level.toUpperCase()} ${msg}${extra ? " " + extra : ""}`);
      }
    };
    return {
      debug: (m, f) => emit("debug", m, f),
      info: (m, f) => emit("info", m, f),
      warn: (m, f) => emit("warn", m, f),
      error: (m, f) => emit("error", m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(opts.base ?? {});
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** A logger that drops everything (tests, CLI). */
export const silentLogger: Logger = createLogger({ level: "error", sink: () => {} });
