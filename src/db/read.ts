// The hot read path: rows as plain value arrays, without @libsql/client's per-call work
// (safeIntegers/raw/columns() twice, a defineProperty per value). Embedded databases get a
// dedicated query-only connection; remote ones the same interface over `client.execute`.

import Database from "libsql";
import type { Client, InArgs, InValue } from "@libsql/client";
import { StatementLru } from "./statement-lru.ts";

/**
 * A row: the column values in SELECT order. Integers and reals are numbers, text is a string,
 * NULL is null, a blob is a Uint8Array (a Node Buffer from the embedded connection).
 */
export type ReadRow = unknown[];

export type Reader = {
  /** Every row of a read-only statement. */
  all(sql: string, args?: InArgs): Promise<ReadRow[]>;
  /** The first row, or undefined. Runs the whole statement: for queries of one row. */
  get(sql: string, args?: InArgs): Promise<ReadRow | undefined>;
  /** The first column of the first row, or undefined when there is no row. */
  value(sql: string, args?: InArgs): Promise<unknown>;
  close(): void;
};

export type LocalReadOptions = {
  /** The database file, as the client opened it. */
  path: string;
  /** `PRAGMA cache_size` in KiB, like the main connection's. */
  cacheKib: number;
  busyTimeoutMs: number;
};

/**
 * The reader for an open client: a second connection to the same file when `local` is given
 * (WAL: each statement sees every commit made before it started), otherwise an adapter over
 * `client.execute` (remote, or `:memory:` which exists on one connection only). Open it after
 * the migrations: the reader never changes the schema.
 */
export function openReader(client: Client, local: LocalReadOptions | null): Reader {
  if (local) return new LocalReader(local.path, local);
  return new ClientReader(client);
}

type Statement = {
  all(args: unknown): ReadRow[];
  raw(on?: boolean): Statement;
  safeIntegers(on?: boolean): Statement;
};

class LocalReader implements Reader {
  readonly #db: Database.Database;
  readonly #stmts = new StatementLru<Statement>((sql) => this.#prepare(sql));
  #closed = false;

  constructor(path: string, opts: LocalReadOptions) {
    this.#db = new Database(path);
    try {
      // A reader must never write; a stray INSERT here fails instead of bypassing the writer.
      this.#db.exec("PRAGMA query_only=ON");
      this.#db.exec(`PRAGMA busy_timeout=${opts.busyTimeoutMs}`);
      this.#db.exec(`PRAGMA cache_size=-${opts.cacheKib}`);
    } catch (e) {
      this.#db.close();
      throw e;
    }
  }

  #prepare(sql: string): Statement {
    const s = this.#db.prepare(sql) as unknown as Statement;
    try {
      s.raw(true);
    } catch {
      throw new TypeError(`db.read runs only statements that return rows, not: ${sql.slice(0, 80)}`);
    }
    // Decided once per statement. Integers as numbers, as the client's intMode "number" gives
    // them; unlike it, one beyond 2^53 loses precision instead of throwing (no column we read
    // — ids, UIDs, MODSEQs, sizes, ms dates — gets anywhere near).
    s.safeIntegers(false);
    return s;
  }

  // Only all(), never the driver's get(): libsql 0.5 runs a get() that follows an all() on
  // the same statement with the previous arguments (it resets after a run, all() only before),
  // and a half-read iterate() would keep its read snapshot open until the next run.
  #all(sql: string, args: InArgs | undefined): ReadRow[] {
    // A statement holds the native connection open past close(): refuse, do not run.
    if (this.#closed) throw new Error("db.read used after close");
    return this.#stmts.get(sql).all(args === undefined ? EMPTY : bindable(args));
  }

  all(sql: string, args?: InArgs): Promise<ReadRow[]> {
    try {
      return Promise.resolve(this.#all(sql, args));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  get(sql: string, args?: InArgs): Promise<ReadRow | undefined> {
    try {
      return Promise.resolve(this.#all(sql, args)[0]);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  value(sql: string, args?: InArgs): Promise<unknown> {
    try {
      return Promise.resolve(this.#all(sql, args)[0]?.[0]);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  close(): void {
    this.#closed = true;
    this.#stmts.clear();
    if (this.#db.open) this.#db.close();
  }
}

const EMPTY: unknown[] = [];

/**
 * Arguments as the native binding takes them, converted as @libsql/client does: a boolean
 * aborts the whole process in libsql 0.5 (a Rust panic), so it becomes 1/0 like intMode
 * "number" makes it. The common case (numbers, strings, bigints, null) is passed as is.
 */
export function bindable(args: InArgs): unknown {
  if (Array.isArray(args)) {
    for (let i = 0; i < args.length; i++) if (!plain(args[i])) return args.map(toSql);
    return args;
  }
  const rec = args as Record<string, InValue>;
  for (const k in rec) {
    const c = k.charCodeAt(0);
    if (c === 58 || c === 64 || c === 36 || !plain(rec[k])) return convertNamed(rec);
  }
  return rec;
}

function plain(v: unknown): boolean {
  const t = typeof v;
  return t === "string" || t === "bigint" || v === null || (t === "number" && Number.isFinite(v)) || v instanceof Uint8Array;
}

function convertNamed(rec: Record<string, InValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in rec) {
    const c = k.charCodeAt(0);
    // ":mbx", "@mbx" and "$mbx" name the same parameter as "mbx" (as in @libsql/client).
    out[c === 58 || c === 64 || c === 36 ? k.slice(1) : k] = toSql(rec[k]);
  }
  return out;
}

function toSql(v: InValue | undefined): unknown {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new RangeError("Only finite numbers (not Infinity or NaN) can be passed as arguments");
    return v;
  }
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (v instanceof Date) return v.valueOf();
  if (v === undefined) throw new TypeError("undefined cannot be passed as argument to the database");
  return v;
}

/** Remote (sqld, Turso) and in-memory databases: the client's rows, as arrays. */
class ClientReader implements Reader {
  constructor(private readonly client: Client) {}

  async all(sql: string, args?: InArgs): Promise<ReadRow[]> {
    const res = await this.client.execute(args === undefined ? sql : { sql, args });
    const out: ReadRow[] = new Array(res.rows.length);
    for (let i = 0; i < res.rows.length; i++) {
      const r = res.rows[i]!;
      const row: ReadRow = new Array(r.length);
      for (let j = 0; j < r.length; j++) {
        const v = r[j];
        row[j] = v instanceof ArrayBuffer ? new Uint8Array(v) : v;
      }
      out[i] = row;
    }
    return out;
  }

  async get(sql: string, args?: InArgs): Promise<ReadRow | undefined> {
    return (await this.all(sql, args))[0];
  }

  async value(sql: string, args?: InArgs): Promise<unknown> {
    return (await this.all(sql, args))[0]?.[0];
  }

  close(): void {
    // The client is the Db's; it closes it.
  }
}
