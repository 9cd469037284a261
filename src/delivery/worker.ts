// The outbound queue worker: claims due recipients under a lease, delivers each batch (one
// message, one domain) under the concurrency limits, and records every outcome — with the
// DSN it causes — in ONE write, then fires the delivery.* notifications (DESIGN §3, §4).

import { randomBytes } from "node:crypto";
import type { Config } from "../config/schema.ts";
import type { Db } from "../db/client.ts";
import type { Bus } from "../events/bus.ts";
import type { AttemptOutcome } from "../events/catalog.ts";
import type { Logger } from "../log/logger.ts";
import type { MailboxHub } from "../store/hub.ts";
import { readDeliveries } from "../store/messages.ts";
import { claimDue, markDelayNotifiedOp, nextDueAt, recordResultsOp, releaseLeasesOp, renewLease, type ClaimedBatch, type RecipientResult } from "../store/queue.ts";
import { deliverBatch, type AttemptDeps, type Decision } from "./attempt.ts";
import { dsnHandOff, type Reported } from "./bounce.ts";
import { guardOp, leaseGuard } from "./lease-guard.ts";
import { createResolver } from "../dns/resolver.ts";
import { wantsDsn } from "./dsn.ts";
import { createLimits } from "./limits.ts";
import { isExpired, nextAttemptAt, shouldSendDelayDsn } from "./schedule.ts";
import { createSessionCache } from "./session-cache.ts";

export type DeliveryWorker = {
  start(): void;
  /** Look for due entries now (a message was queued). */
  wake(): void;
  /** Stop claiming; in-flight attempts get `graceMs`, then their leases are released. */
  stop(opts?: { graceMs?: number }): Promise<void>;
  /** Claims and delivers what is due now, waiting for it; returns the number of batches (tests). */
  runOnce(): Promise<number>;
};

export type WorkerOptions = {
  db: Db;
  config: Config;
  bus: Bus;
  log: Logger;
  hub?: MailboxHub;
  now?: () => number;
  /** Tests: override parts of the attempt (MX resolution, MTA-STS, connect). */
  attempt?: Partial<Pick<AttemptDeps, "resolveMx" | "lookupSts" | "connect" | "resolver">>;
};

/** Claims at most this many recipients at once, whatever the free slots. */
const MAX_CLAIM = 1000;
const DEFAULT_GRACE_MS = 5000;

export function createDeliveryWorker(o: WorkerOptions): DeliveryWorker {
  const { db, config, bus } = o;
  const d = config.delivery;
  const now = o.now ?? (() => Date.now());
  const log = o.log.child({ component: "delivery" });
  // Random per process: a restarted (or second) worker never mistakes old leases for its own.
  const owner = `${config.hostname}:${process.pid}:${randomBytes(6).toString("hex")}`;
  const limits = createLimits(d.concurrency);
  const sessions = createSessionCache();
  const deps: AttemptDeps = {
    db,
    config,
    bus,
    log,
    now,
    resolver: o.attempt?.resolver ?? createResolver(config.dns),
    limits,
    sessions,
    ...(o.attempt?.resolveMx ? { resolveMx: o.attempt.resolveMx } : {}),
    ...(o.attempt?.lookupSts ? { lookupSts: o.attempt.lookupSts } : {}),
    ...(o.attempt?.connect ? { connect: o.attempt.connect } : {}),
  };
  /** Recipient ids we hold a lease on (claimed, not yet recorded). */
  const held = new Set<number>();
  const running = new Set<Promise<void>>();
  let stopping = false;
  let started = false;
  let wakeUp: (() => void) | null = null;
  let woken = false;
  let loopDone: Promise<void> = Promise.resolve();

  // Leases are renewed for everything held, every third of the lease time.
  const renewTimer = setInterval(() => {
    if (held.size === 0) return;
    renewLease(db, owner, [...held], now() + d.leaseMs).catch((err) => log.warn("lease renewal failed", { error: err }));
  }, Math.max(100, Math.floor(d.leaseMs / 3)));
  (renewTimer as { unref?: () => void }).unref?.();

  function decisionToResult(batch: ClaimedBatch, id: number, dec: Decision, t: number): { result: RecipientResult; decision: Decision } {
    const row = batch.recipients.find((r) => r.id === id)!;
    if (dec.outcome === "deferred" && isExpired(t, batch.message.expiresAt)) {
      // RFC 3463 4.4.7 "delivery time expired": the give-up time passed (RFC 5321 §4.5.4.1).
      const expired: Decision = { ...dec, outcome: "failed", status: "4.4.7", reply: `delivery time expired; last error: ${dec.reply}` };
      return { decision: expired, result: { recipientId: id, outcome: "failed", reply: expired.reply, status: expired.status, host: dec.host } };
    }
    const result: RecipientResult = { recipientId: id, outcome: dec.outcome, reply: dec.reply, status: dec.status, host: dec.host };
    if (dec.outcome === "deferred") result.nextAttemptAt = nextAttemptAt(row.attempts + 1, t, d.retry);
    return { decision: dec, result };
  }

  async function finish(batch: ClaimedBatch, decisions: Map<number, Decision>, body: Uint8Array | null): Promise<void> {
    const t = now();
    const { message } = batch;
    const results: RecipientResult[] = [];
    const reported: Reported[] = [];
    const delayIds: number[] = [];
    const outcomes: AttemptOutcome[] = [];
    for (const row of batch.recipients) {
      const raw = decisions.get(row.id) ?? { outcome: "deferred" as const, reply: "no decision", status: "4.0.0", host: null };
      const { result, decision } = decisionToResult(batch, row.id, raw, t);
      results.push(result);
      outcomes.push({ address: row.address, outcome: decision.outcome, reply: decision.reply, status: decision.status, host: decision.host });
      if (message.mailFrom === "") continue; // RFC 5321 §4.5.5: never a DSN for a DSN
      if (decision.outcome === "failed" && wantsDsn("failure", row.notify)) reported.push({ row, decision, action: "failed" });
      // RFC 3461 §4.1/§6.2.3: a server that took our NOTIFY reports success itself; otherwise "relayed".
      else if (decision.outcome === "delivered" && wantsDsn("success", row.notify) && !decision.remoteDsn) reported.push({ row, decision, action: "relayed" });
      else if (decision.outcome === "deferred" && shouldSendDelayDsn(t, message.createdAt, d.retry.delayDsnAfterMs, row.delayNotified) && wantsDsn("delay", row.notify)) {
        reported.push({ row, decision, action: "delayed", willRetryUntil: message.expiresAt });
        delayIds.push(row.id);
      }
    }
    const dsn = body && reported.length > 0 ? await dsnHandOff({ db, hostname: config.hostname, now: t, lifetimeMs: d.retry.lifetimeMs }, message, body, reported) : null;
    // The DSN (and the delay mark) only while we still hold the lease on every row it reports:
    // a worker whose lease was taken over records no result, so it must send no DSN either.
    // The guard is evaluated before recordResultsOp clears the leases, hence this order.
    const guard = reported.length > 0 ? leaseGuard(owner, reported.map((r) => r.row.id)) : null;
    const reports = guard ? guardOp([...(dsn?.op ?? []), ...(delayIds.length ? markDelayNotifiedOp(delayIds) : [])], guard) : [];
    const written = await db.writer.write([...reports, ...recordResultsOp({ owner, now: t, results })]);
    if (dsn?.local && o.hub) {
      const byMailbox = new Map<number, number[]>();
      for (const x of readDeliveries(written)) byMailbox.set(x.mailboxId, [...(byMailbox.get(x.mailboxId) ?? []), x.uid]);
      for (const [mailboxId, uids] of byMailbox) o.hub.publish({ mailboxId, kind: "exists", uids, modseq: 0 });
    }
    if (dsn?.queued) wake();
    log.info("delivery attempt", { queueId: message.id, domain: batch.domain, outcomes: outcomes.map((x) => `${x.address}: ${x.outcome} ${x.status}`) });
    const attempt = Math.max(...batch.recipients.map((r) => r.attempts)) + 1;
    void bus.notify("delivery.attempt", { queueId: message.id, domain: batch.domain, attempt, outcomes });
    results.forEach((res, i) => {
      const outcome = outcomes[i];
      const base = { queueId: message.id, mailFrom: message.mailFrom, outcome };
      if (outcome.outcome === "delivered") void bus.notify("delivery.delivered", base);
      else if (outcome.outcome === "deferred") void bus.notify("delivery.deferred", { ...base, attempts: batch.recipients[i].attempts + 1, nextAttemptAt: res.nextAttemptAt! });
      else void bus.notify("delivery.bounced", { ...base, dsn: reported.some((r) => r.row.id === res.recipientId) && dsn !== null });
    });
  }

  async function runBatch(batch: ClaimedBatch): Promise<void> {
    const releaseGlobal = await limits.global.acquire();
    const releaseDomain = await limits.perDomain.acquire(batch.domain);
    let attempted = false;
    try {
      if (stopping) return; // leases are released by stop()
      attempted = true;
      let decisions: Map<number, Decision>;
      let body: Uint8Array | null = null;
      try {
        const res = await deliverBatch(batch, deps);
        decisions = res.decisions;
        body = res.body;
      } catch (err) {
        log.error("delivery attempt failed", { queueId: batch.message.id, error: err });
        decisions = new Map(batch.recipients.map((r) => [r.id, { outcome: "deferred", reply: "451 4.3.0 internal error", status: "4.3.0", host: null }]));
      }
      await finish(batch, decisions, body);
    } catch (err) {
      log.error("recording delivery results failed", { queueId: batch.message.id, error: err });
    } finally {
      // Recorded, or the write failed: either way stop renewing; an unrecorded row is
      // claimed again once its lease lapses (retried, never lost).
      if (attempted) for (const r of batch.recipients) held.delete(r.id);
      releaseDomain();
      releaseGlobal();
    }
  }

  function spawn(batch: ClaimedBatch): Promise<void> {
    for (const r of batch.recipients) held.add(r.id);
    const p = runBatch(batch).finally(() => running.delete(p));
    running.add(p);
    return p;
  }

  async function claim(): Promise<ClaimedBatch[]> {
    const free = limits.global.size - running.size;
    if (free <= 0 || stopping) return [];
    return claimDue(db, { owner, now: now(), leaseMs: d.leaseMs, limit: Math.min(MAX_CLAIM, free * d.maxRecipientsPerTransaction) });
  }

  async function sleep(): Promise<void> {
    if (woken) {
      woken = false;
      return;
    }
    let ms = d.pollMs;
    try {
      const due = await nextDueAt(db);
      if (due !== null) ms = Math.max(0, Math.min(ms, due - now()));
    } catch {
      // keep pollMs
    }
    if (woken || stopping) {
      woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });
    woken = false;
  }

  async function loop(): Promise<void> {
    // Ends when stop() sets `stopping`; every pass either claims or sleeps.
    while (!stopping) {
      try {
        const batches = await claim();
        for (const b of batches) spawn(b);
        if (batches.length > 0 && running.size < limits.global.size) continue;
        if (running.size >= limits.global.size) await Promise.race([...running, new Promise<void>((r) => (wakeUp = r))]);
        else await sleep();
      } catch (err) {
        log.error("delivery worker pass failed", { error: err });
        await new Promise((r) => setTimeout(r, d.pollMs));
      }
    }
  }

  function wake(): void {
    woken = true;
    const w = wakeUp;
    wakeUp = null;
    w?.();
  }

  return {
    start() {
      if (started) return;
      started = true;
      loopDone = loop();
    },
    wake,
    async runOnce() {
      const batches = await claim();
      await Promise.all(batches.map(spawn));
      return batches.length;
    },
    async stop(opts = {}) {
      stopping = true;
      wake();
      await loopDone;
      const grace = opts.graceMs ?? DEFAULT_GRACE_MS;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.all(running), new Promise((r) => (timer = setTimeout(r, grace)))]);
      clearTimeout(timer);
      clearInterval(renewTimer);
      sessions.closeAll();
      // Whatever is still leased goes back now, not when the lease lapses.
      if (held.size > 0) {
        const ids = [...held];
        held.clear();
        await db.writer.write(releaseLeasesOp(owner, ids, now())).catch((err) => log.warn("releasing leases failed", { error: err }));
      }
    },
  };
}
