// Idle SMTP sessions kept for a moment after a transaction, so the next batch for the same
// host reuses the connection (Postfix's connection cache: ~2 s idle, a bounded reuse count).
// RFC 5321 §4.1.4: a new MAIL may follow a completed transaction on the same connection.

import type { SessionSource } from "./attempt.ts";
import type { SmtpSession } from "./smtp-client.ts";

type Idle = { session: SmtpSession; uses: number; timer: ReturnType<typeof setTimeout> };

export type SessionCache = SessionSource & { closeAll(): void; readonly size: number };

export function createSessionCache(o: { idleMs?: number; maxUses?: number; maxIdle?: number } = {}): SessionCache {
  const idleMs = o.idleMs ?? 2000;
  const maxUses = o.maxUses ?? 100;
  const maxIdle = o.maxIdle ?? 100;
  const idle = new Map<string, Idle[]>();
  const uses = new WeakMap<SmtpSession, number>();
  let count = 0;

  const remove = (key: string, entry: Idle) => {
    const list = idle.get(key);
    const i = list?.indexOf(entry) ?? -1;
    if (list && i >= 0) {
      list.splice(i, 1);
      count--;
      if (list.length === 0) idle.delete(key);
    }
  };

  return {
    get size() {
      return count;
    },
    take(key) {
      const list = idle.get(key);
      // Bounded: each pass removes one entry.
      while (list && list.length > 0) {
        const entry = list.pop()!;
        count--;
        clearTimeout(entry.timer);
        if (list.length === 0) idle.delete(key);
        if (entry.session.usable()) {
          uses.set(entry.session, entry.uses);
          return entry.session;
        }
        entry.session.close();
      }
      return null;
    },
    give(key, session) {
      const n = (uses.get(session) ?? 0) + 1;
      if (n >= maxUses || count >= maxIdle || !session.usable()) return session.close();
      const entry: Idle = {
        session,
        uses: n,
        timer: setTimeout(() => {
          remove(key, entry);
          session.close();
        }, idleMs),
      };
      (entry.timer as { unref?: () => void }).unref?.();
      const list = idle.get(key) ?? [];
      list.push(entry);
      idle.set(key, list);
      count++;
    },
    closeAll() {
      for (const list of idle.values()) for (const e of list) {
        clearTimeout(e.timer);
        e.session.close();
      }
      idle.clear();
      count = 0;
    },
  };
}
