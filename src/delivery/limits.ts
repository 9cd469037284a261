// Concurrency limits of the delivery worker: a global cap, one per recipient domain and one
// per MX host (counted around each connection), so one slow or greylisting site cannot take
// every slot (RFC 5321 §4.5.4.1 asks senders not to flood a receiver with connections).

/** A counting semaphore; waiters are served first come, first served. */
export class Semaphore {
  #free: number;
  readonly #waiters: (() => void)[] = [];

  constructor(readonly size: number) {
    this.#free = size;
  }

  get busy(): number {
    return this.size - this.#free;
  }

  /** Resolves when a slot is held; call the returned function once to give it back. */
  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#waiters.push(r));
    return this.#releaser();
  }

  /** A slot now, or null when all are taken (never waits). */
  tryAcquire(): (() => void) | null {
    if (this.#free === 0) return null;
    this.#free--;
    return this.#releaser();
  }

  /** Gives the slot to the next waiter, or back to the pool; a second call does nothing. */
  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

/** Semaphores by key (domain or host), created on use and dropped when idle. */
export class KeyedLimit {
  readonly #byKey = new Map<string, Semaphore>();

  constructor(readonly size: number) {}

  async acquire(key: string): Promise<() => void> {
    let s = this.#byKey.get(key);
    if (!s) this.#byKey.set(key, (s = new Semaphore(this.size)));
    const release = await s.acquire();
    return () => {
      release();
      if (s.busy === 0 && this.#byKey.get(key) === s) this.#byKey.delete(key);
    };
  }

  busy(key: string): number {
    return this.#byKey.get(key)?.busy ?? 0;
  }
}

export type DeliveryLimits = { global: Semaphore; perDomain: KeyedLimit; perHost: KeyedLimit };

export function createLimits(c: { global: number; perDomain: number; perHost: number }): DeliveryLimits {
  return { global: new Semaphore(c.global), perDomain: new KeyedLimit(c.perDomain), perHost: new KeyedLimit(c.perHost) };
}
