// In-process change notification for mailboxes (IDLE, NOOP polling, other sessions on the
// same mailbox). Store functions RETURN their changes; the caller publishes them here only
// after `db.writer.write` resolved, i.e. once the change is durable (DESIGN §4).

/**
 * One durable change to a mailbox. `modseq` is the mailbox's HIGHESTMODSEQ after it.
 * - exists: new messages (delivery, APPEND, COPY/MOVE target), `uids` ascending;
 * - expunge: removed messages (EXPUNGE, MOVE source, POP3 DELE), `uids` ascending;
 * - flags: messages whose flags changed (STORE), `uids` ascending;
 * - deleted: the mailbox itself is gone; `uids` are the messages it still held.
 * `origin` names the session that caused it, so that session can skip its own echo.
 */
export type MailboxChange = {
  readonly mailboxId: number;
  readonly kind: "exists" | "expunge" | "flags" | "deleted";
  readonly uids: readonly number[];
  readonly modseq: number;
  readonly origin?: string;
};

export type MailboxListener = (change: MailboxChange) => void;

export type MailboxHubOptions = {
  /** Called when a listener throws; the other listeners still run. */
  onError?: (error: unknown, change: MailboxChange) => void;
  /** Called once for every published change (the server turns it into `mailbox.changed`). */
  onPublish?: (change: MailboxChange) => void;
};

export class MailboxHub {
  readonly #listeners = new Map<number, Set<MailboxListener>>();
  readonly #onError: (error: unknown, change: MailboxChange) => void;
  readonly #onPublish: ((change: MailboxChange) => void) | null;

  constructor(opts: MailboxHubOptions = {}) {
    this.#onError = opts.onError ?? (() => {});
    this.#onPublish = opts.onPublish ?? null;
  }

  /** Registers `listener` for one mailbox; the returned function removes it (idempotent). */
  subscribe(mailboxId: number, listener: MailboxListener): () => void {
    let set = this.#listeners.get(mailboxId);
    if (!set) this.#listeners.set(mailboxId, (set = new Set()));
    // Wrap so the same function subscribed twice gets two independent registrations.
    const entry: MailboxListener = (c) => listener(c);
    set.add(entry);
    return () => {
      const s = this.#listeners.get(mailboxId);
      if (!s) return;
      s.delete(entry);
      if (s.size === 0) this.#listeners.delete(mailboxId);
    };
  }

  /**
   * Delivers synchronously, in subscription order. A change with no uids is dropped (an op
   * that matched nothing). Listeners must be cheap and must not throw; a throw is reported
   * to onError and never reaches the publisher, whose write already succeeded.
   */
  publish(change: MailboxChange): void {
    if (change.uids.length === 0 && change.kind !== "deleted") return;
    if (this.#onPublish) {
      try {
        this.#onPublish(change);
      } catch (e) {
        this.#onError(e, change);
      }
    }
    const set = this.#listeners.get(change.mailboxId);
    if (!set) return;
    // Snapshot: a listener may unsubscribe itself (or others) while we iterate.
    for (const l of [...set]) {
      try {
        l(change);
      } catch (e) {
        this.#onError(e, change);
      }
    }
  }

  publishAll(changes: readonly MailboxChange[]): void {
    for (const c of changes) this.publish(c);
  }

  /** Number of listeners on a mailbox (for tests and metrics). */
  listenerCount(mailboxId: number): number {
    return this.#listeners.get(mailboxId)?.size ?? 0;
  }
}
