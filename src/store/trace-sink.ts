// Coalesces trace entries from all sessions into one INSERT per short interval: traces are
// for operators, not part of a message's durability, and one statement per transaction
// would cost as much as the delivery itself under load.

import type { Db } from "../db/client.ts";
import { traceOp, type TraceEntry } from "./traces.ts";

export class TraceSink {
  #pending: TraceEntry[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly onError: (err: unknown) => void,
    private readonly opts: { maxDelayMs: number; maxEntries: number } = { maxDelayMs: 25, maxEntries: 500 },
  ) {}

  add(entries: readonly TraceEntry[]): void {
    this.#pending.push(...entries);
    if (this.#pending.length >= this.opts.maxEntries) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.opts.maxDelayMs);
  }

  /** Writes what is pending; resolves once it is committed (used at shutdown and in tests). */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length > 0) {
      this.#flushing = this.#flushing.then(() => this.db.writer.write(traceOp(batch)).then(() => undefined, this.onError));
    }
    return this.#flushing;
  }
}
