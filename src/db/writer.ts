// The single serialised writer with group commit (DESIGN §4): every write op in the
// process goes through here, many ops share one `client.batch(…, "write")` = one
// transaction = one fsync (the barrier's, off-thread, when embedded), and each caller is
// resolved only once its commit is durable.

import { setImmediate } from "node:timers";
import type { InStatement, ResultSet } from "@libsql/client";
import type { BatchClient } from "./direct-batch.ts";
import type { DurabilityBarrier } from "./wal-sync.ts";

/** What a drizzle query builder exposes; `.toSQL()` gives its SQL and driver-mapped params. */
export type SqlSource = { toSQL(): { sql: string; params: unknown[] } };

/**
 * One self-contained unit of work: its statements commit together or not at all.
 * There is no JS between the statements, so an op cannot read and then decide: any
 * dependency (a UID counter, an id looked up by name) must be expressed in SQL.
 * Drizzle queries are accepted and converted with `.toSQL()` at `write()` time.
 */
export type WriteOp = readonly (InStatement | SqlSource)[];

/** `syncs`: durability barriers passed (embedded databases: one per commit). */
export type WriterStats = { commits: number; ops: number; maxGroup: number; syncs: number };

export type WriterOptions = {
  /** Most ops in one group commit. */
  maxOps?: number;
  /** Most statements in one group commit (a single larger op still runs alone). */
  maxStatements?: number;
  /** Approximate bound on bound-argument bytes (bodies) per group commit. */
  maxBytes?: number;
};

/** Expected failures of the writer itself, with a stable `code` (DESIGN §8). */
export class WriterError extends Error {
  readonly code: "WRITER_CLOSED" | "EMPTY_OP" | "TRANSACTION_CONTROL";
  constructor(code: WriterError["code"], message: string) {
    super(message);
    this.name = "WriterError";
    this.code = code;
  }
}

/** Barrier syncs in flight at once (fsyncs of one file; more would only queue in the kernel). */
const MAX_SYNCS = 2;

const TX_CONTROL = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

type Pending = {
  stmts: InStatement[];
  bytes: number;
  resolve: (r: ResultSet[]) => void;
  reject: (e: unknown) => void;
};

export class Writer {
  readonly #client: BatchClient;
  readonly #maxOps: number;
  readonly #maxStatements: number;
  readonly #maxBytes: number;
  #queue: Pending[] = [];
  #running = false;
  #closed = false;
  #idle: (() => void)[] = [];
  #stats: WriterStats = { commits: 0, ops: 0, maxGroup: 0, syncs: 0 };
  readonly #barrier: DurabilityBarrier | null;
  /** Commits waiting for a barrier sync, oldest first; `seq` counts commits. */
  #unsynced: { seq: number; group: Pending[]; results: ResultSet[] }[] = [];
  #commitSeq = 0;
  /** The newest commit a started sync covers. */
  #coveredUpTo = 0;
  #syncing = 0;

  /**
   * `barrier`: when the connection commits without syncing (embedded: synchronous=NORMAL),
   * what makes a commit durable; no caller is resolved before a sync started after its commit.
   */
  constructor(client: BatchClient, opts: WriterOptions = {}, barrier: DurabilityBarrier | null = null) {
    this.#client = client;
    this.#barrier = barrier;
    this.#maxOps = opts.maxOps ?? 256;
    this.#maxStatements = opts.maxStatements ?? 4096;
    this.#maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  }

  /** Queues `op`; resolves with its own results after the commit that holds it is durable. */
  write(op: WriteOp): Promise<ResultSet[]> {
    if (this.#closed) return Promise.reject(new WriterError("WRITER_CLOSED", "writer is closed"));
    if (op.length === 0) return Promise.reject(new WriterError("EMPTY_OP", "a write op needs at least one statement"));
    let stmts: InStatement[];
    try {
      stmts = op.map(toStatement);
    } catch (e) {
      return Promise.reject(e);
    }
    // An op's own BEGIN/COMMIT would end the shared group transaction early.
    if (stmts.some((s) => TX_CONTROL.test(typeof s === "string" ? s : s.sql))) {
      return Promise.reject(new WriterError("TRANSACTION_CONTROL", "write ops must not contain transaction control"));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ stmts, bytes: argBytes(stmts), resolve, reject });
      this.#schedule();
    });
  }

  stats(): WriterStats {
    return { ...this.#stats };
  }

  /** Resolves once every op queued so far has settled (committed and, with a barrier, synced). */
  drain(): Promise<void> {
    if (!this.#busy) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Refuses new ops, then waits for the queued ones (SIGTERM drains the writer, §9). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.drain();
  }

  #schedule(): void {
    if (this.#running) return;
    this.#running = true;
    // With the embedded client a commit runs synchronously on this thread, so ops cannot
    // arrive "during" it. Waiting one macrotask lets every op submitted by the current
    // burst of socket callbacks join the group (ops arriving while the barrier's fsync
    // runs off-thread join the next group).
    setImmediate(() => void this.#loop());
  }

  async #loop(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const group = this.#take();
        await this.#commitGroup(group);
      }
    } finally {
      this.#running = false;
      if (this.#queue.length > 0) this.#schedule();
      else this.#notifyIdle();
    }
  }

  #take(): Pending[] {
    let n = 0;
    let stmts = 0;
    let bytes = 0;
    while (n < this.#queue.length && n < this.#maxOps) {
      const p = this.#queue[n];
      // Always take at least one op, however large, or it would never run.
      if (n > 0 && (stmts + p.stmts.length > this.#maxStatements || bytes + p.bytes > this.#maxBytes)) break;
      stmts += p.stmts.length;
      bytes += p.bytes;
      n++;
    }
    return this.#queue.splice(0, n);
  }

  async #commitGroup(group: Pending[]): Promise<void> {
    let live = group;
    // A statement error names its index, so the op that owns it is failed and the
    // rest are re-committed together: ops run in order inside the batch, hence the
    // bad op would have failed the same way on its own. Bounded by the group size.
    while (live.length > 0) {
      let results: ResultSet[];
      try {
        results = await this.#client.batch(
          live.flatMap((p) => p.stmts),
          "write",
        );
      } catch (e) {
        const culprit = live.length > 1 ? ownerOf(live, e) : -1;
        if (live.length === 1) {
          live[0].reject(e);
          return;
        }
        if (culprit < 0) break;
        live[culprit].reject(e);
        live = live.filter((_, i) => i !== culprit);
        continue;
      }
      this.#committed(live, results);
      return;
    }
    // No statement index (COMMIT failed, I/O error, network): retry each op alone so
    // one bad op fails only its own promise.
    for (const p of live) {
      let results: ResultSet[];
      try {
        results = await this.#client.batch(p.stmts, "write");
      } catch (e) {
        p.reject(e);
        continue;
      }
      this.#committed([p], results);
    }
  }

  /**
   * A commit's callers are resolved once a barrier sync started after it has finished. Syncs
   * are not awaited by the commit loop: the next group commits while the previous one's
   * fsync runs (each fsync covers every commit before it), so a write waits for one fsync,
   * not for a queue of them. At most MAX_SYNCS run at once; commits made meanwhile are
   * covered by the next one.
   */
  #committed(group: Pending[], results: ResultSet[]): void {
    this.#stats.commits++;
    this.#stats.ops += group.length;
    if (group.length > this.#stats.maxGroup) this.#stats.maxGroup = group.length;
    if (!this.#barrier) return settle(group, results);
    this.#unsynced.push({ seq: ++this.#commitSeq, group, results });
    this.#kickSync();
  }

  #kickSync(): void {
    const barrier = this.#barrier;
    if (!barrier || this.#syncing >= MAX_SYNCS || this.#coveredUpTo >= this.#commitSeq) return;
    const upTo = this.#commitSeq;
    this.#coveredUpTo = upTo;
    this.#syncing++;
    barrier.sync().then(
      () => {
        this.#stats.syncs++;
        this.#finishSync(upTo, null);
      },
      (e: unknown) => this.#finishSync(upTo, e ?? new Error("durability barrier failed")),
    );
  }

  /**
   * Settles every commit up to `upTo`. On failure those ops are committed but not known to be
   * durable, so they are failed with the barrier's error, never resolved as if safe.
   */
  #finishSync(upTo: number, err: unknown): void {
    this.#syncing--;
    let n = 0;
    while (n < this.#unsynced.length && this.#unsynced[n].seq <= upTo) n++;
    for (const c of this.#unsynced.splice(0, n)) {
      if (err === null) settle(c.group, c.results);
      else for (const p of c.group) p.reject(err);
    }
    this.#kickSync();
    this.#notifyIdle();
  }

  /** Ops queued, committing, or committed and waiting for their sync. */
  get #busy(): boolean {
    return this.#running || this.#queue.length > 0 || this.#unsynced.length > 0 || this.#syncing > 0;
  }

  #notifyIdle(): void {
    if (this.#busy) return;
    for (const done of this.#idle.splice(0)) done();
  }
}

/** Resolves each op of a durable commit with its own slice of the results. */
function settle(group: Pending[], results: ResultSet[]): void {
  let at = 0;
  for (const p of group) {
    p.resolve(results.slice(at, at + p.stmts.length));
    at += p.stmts.length;
  }
}

function ownerOf(group: Pending[], e: unknown): number {
  const index = (e as { statementIndex?: unknown } | null)?.statementIndex;
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0) return -1;
  let at = 0;
  for (let i = 0; i < group.length; i++) {
    at += group[i].stmts.length;
    if (index < at) return i;
  }
  return -1;
}

function toStatement(s: InStatement | SqlSource): InStatement {
  if (typeof s === "string") return s;
  if ("toSQL" in s && typeof s.toSQL === "function") {
    const q = s.toSQL();
    return { sql: q.sql, args: q.params as never };
  }
  return s as InStatement;
}

function argBytes(stmts: InStatement[]): number {
  let n = 0;
  for (const s of stmts) {
    if (typeof s === "string" || Array.isArray(s)) continue;
    const args = (s as { args?: unknown }).args;
    const values = Array.isArray(args) ? args : args && typeof args === "object" ? Object.values(args) : [];
    for (const v of values) {
      if (v instanceof Uint8Array || v instanceof ArrayBuffer) n += v.byteLength;
      else if (typeof v === "string") n += v.length;
    }
  }
  return n;
}
