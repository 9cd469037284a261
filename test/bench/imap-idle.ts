// Opens K idle IMAP connections for the memory figure: connect, authenticate, SELECT, IDLE,
// at most P at a time and within a deadline. Staged (every connection through one step
// before any takes the next) so the server's memory can be read after each step.

import { ImapClient } from "./imap-client.ts";
import { BENCH_PASSWORD, userName } from "./imap-corpus.ts";

export type IdleStage = "connected" | "authenticated" | "selected" | "idling";
export const IDLE_STAGES: readonly IdleStage[] = ["connected", "authenticated", "selected", "idling"];

export type IdleParams = {
  port: number;
  count: number;
  users: number;
  /** LOGIN runs our scrypt check (~70 ms of CPU each); SCRAM-SHA-256 costs the server a few HMACs. */
  auth: "login" | "scram";
  mailbox: string;
  parallel: number;
  deadline: number;
  /** Step by step over all connections, calling onStage after each; otherwise each connection goes straight to IDLE. */
  staged: boolean;
  onStage?: (stage: IdleStage, open: number) => Promise<void>;
};

export type IdleResult = { clients: ImapClient[]; failed: number; firstError: string | null; ms: number };

async function pool<T>(items: T[], parallel: number, deadline: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length && Date.now() < deadline) await fn(items[next++]);
    }),
  );
}

export async function openIdle(p: IdleParams): Promise<IdleResult> {
  const t0 = performance.now();
  let failed = 0;
  let firstError: string | null = null;
  const fail = (c: ImapClient | null, e: unknown) => {
    failed++;
    firstError ??= (e as Error).message;
    c?.close();
  };
  const slots = Array.from({ length: p.count }, (_, i) => i);
  const open: (ImapClient | null)[] = new Array(p.count).fill(null);
  const steps: Record<IdleStage, (c: ImapClient, i: number) => Promise<void>> = {
    connected: async () => {},
    authenticated: (c, i) => (p.auth === "scram" ? c.scram(userName(i % p.users), BENCH_PASSWORD) : c.login(userName(i % p.users), BENCH_PASSWORD)),
    selected: async (c) => {
      await c.ok(`SELECT ${p.mailbox}`);
    },
    idling: async (c) => {
      const { started } = c.idle();
      await started;
      if (c.closed) throw new Error("IDLE refused or connection closed");
    },
  };
  const connect = async (i: number) => {
    try {
      open[i] = await ImapClient.connect(p.port);
    } catch (e) {
      fail(null, e);
    }
  };
  if (p.staged) {
    await pool(slots, p.parallel, p.deadline, connect);
    for (const stage of IDLE_STAGES) {
      if (stage !== "connected") {
        await pool(slots, p.parallel, p.deadline, async (i) => {
          const c = open[i];
          if (!c || c.closed) return;
          try {
            await steps[stage](c, i);
          } catch (e) {
            fail(c, e);
            open[i] = null;
          }
        });
      }
      await p.onStage?.(stage, open.filter((c) => c && !c.closed).length);
    }
  } else {
    await pool(slots, p.parallel, p.deadline, async (i) => {
      await connect(i);
      const c = open[i];
      if (!c) return;
      try {
        for (const stage of IDLE_STAGES) await steps[stage](c, i);
      } catch (e) {
        fail(c, e);
        open[i] = null;
      }
    });
  }
  const clients = open.filter((c): c is ImapClient => c !== null && !c.closed);
  return { clients, failed, firstError, ms: performance.now() - t0 };
}

/** Ends IDLE and closes every connection (no LOGOUT: the server sees the close). */
export async function closeIdle(clients: readonly ImapClient[]): Promise<void> {
  for (const c of clients) c.close();
  await Bun.sleep(500);
}
