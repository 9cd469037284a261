// DSN hand-off (RFC 3464, RFC 3461): the write op that delivers one batch's report to the
// original sender — straight into a local sender's INBOX, or into the outbound queue with the
// null reverse-path for a remote one (RFC 5321 §4.5.5: a bounce never bounces). The worker
// puts this op in the same commit as the recipients' results, so a crash can neither lose
// the DSN nor send it twice.

import type { InStatement } from "@libsql/client";
import type { Db } from "../db/client.ts";
import type { WriteOp } from "../db/writer.ts";
import { parseMime } from "../protocol/mime/parse.ts";
import { newQueueId } from "../store/ids.ts";
import { bodyOp, deliverOp, hashBody } from "../store/messages.ts";
import { enqueueOp, type QueueMessage, type QueueRecipient } from "../store/queue.ts";
import { resolveRecipient } from "../store/resolve.ts";
import { buildDsn, type DsnAction, type DsnRecipient } from "./dsn.ts";
import type { Decision } from "./transactions.ts";
import { concatBytes } from "../protocol/bytes.ts";

export type Reported = { row: QueueRecipient; decision: Decision; action: DsnAction; willRetryUntil?: number };

export type DsnHandOff = {
  op: WriteOp;
  /** A DSN went into the outbound queue: wake the worker after the commit. */
  queued: boolean;
  /** The report goes to local mailboxes (readDeliveries on the commit's results, then publish). */
  local: boolean;
};

const enc = new TextEncoder();

/** "mx.other.test[192.0.2.1]" → "mx.other.test" for Remote-MTA (RFC 3464 §2.3.5, a DNS name). */
function remoteName(host: string | null): string | null {
  return host ? host.replace(/\[[^\]]*\]$/, "") : null;
}

export type DsnContext = {
  db: Db;
  hostname: string;
  now: number;
  lifetimeMs: number;
};

/**
 * The op that stores or queues one DSN covering `reported` (already filtered by NOTIFY with
 * dsnRecipientsFor; empty → null). Null too when the sender is neither local nor remote
 * (a local address that no longer exists): there is nobody to tell.
 */
export async function dsnHandOff(ctx: DsnContext, message: QueueMessage, original: Uint8Array, reported: readonly Reported[]): Promise<DsnHandOff | null> {
  if (reported.length === 0 || message.mailFrom === "") return null;
  const recipients: DsnRecipient[] = reported.map((r) => ({
    address: r.row.address,
    orcpt: r.row.orcpt,
    action: r.action,
    status: r.decision.status,
    diagnostic: r.decision.reply,
    remoteMta: remoteName(r.decision.host),
    lastAttemptAt: ctx.now,
    ...(r.willRetryUntil !== undefined ? { willRetryUntil: r.willRetryUntil } : {}),
  }));
  const dsn = buildDsn({
    reportingMta: ctx.hostname,
    originalMailFrom: message.mailFrom,
    envid: message.envid,
    ret: message.ret,
    original,
    arrivalDate: message.createdAt,
    recipients,
    now: ctx.now,
    messageId: `${newQueueId()}@${ctx.hostname}`,
    smtputf8: message.smtputf8,
  });
  const resolution = await resolveRecipient(ctx.db, message.mailFrom);
  const ops: InStatement[] = [];
  let queued = false;
  let local = false;
  const remote: string[] = [];
  if (resolution.kind === "local") {
    local = resolution.accounts.length > 0;
    if (local) {
      // RFC 5321 §4.4: the delivering MTA adds Return-Path; a DSN's is the null path.
      const raw = concatBytes([enc.encode("Return-Path: <>\r\n"), dsn]);
      ops.push(
        ...(deliverOp({
          bodyHash: hashBody(raw),
          raw,
          mimeJson: JSON.stringify(parseMime(raw)),
          internalDate: ctx.now,
          queueId: message.id,
          targets: resolution.accounts.map((a) => ({ accountId: a.id, mailbox: "INBOX" })),
        }) as InStatement[]),
      );
    }
    remote.push(...resolution.remote);
  } else if (resolution.kind === "remote") remote.push(message.mailFrom);
  if (remote.length > 0) {
    const bodyHash = hashBody(dsn);
    ops.push(...bodyOp({ bodyHash, raw: dsn, mimeJson: JSON.stringify(parseMime(dsn)) }));
    ops.push(
      ...(enqueueOp({
        id: newQueueId(),
        bodyHash,
        mailFrom: "", // RFC 3461 §6.1 / RFC 5321 §4.5.5: DSNs use the null reverse-path
        envid: null,
        ret: null,
        requiretls: false,
        smtputf8: message.smtputf8,
        bodyType: null,
        authUser: null,
        clientIp: null,
        expiresAt: ctx.now + ctx.lifetimeMs,
        recipients: remote.map((address) => ({ address })),
      }) as InStatement[]),
    );
    queued = true;
  }
  if (ops.length === 0) return null;
  return { op: ops, queued, local };
}
