// Built-in `message.deliver` provider: stores the message once per body for every local
// recipient (INBOX, or Junk when quarantined) and queues remote ones — in ONE durable write,
// so the 250 that follows is true for all of them (DESIGN §4).

import { defineHandler } from "../src/events/handler.ts";
import type { DeliveryResult } from "../src/events/catalog.ts";
import { parseMime } from "../src/protocol/mime/parse.ts";
import { bodyOp, deliverOp, hashBody, readDeliveries } from "../src/store/messages.ts";
import { enqueueOp } from "../src/store/queue.ts";
import { signMessage } from "../src/delivery/dkim-sign.ts";
import type { InStatement } from "@libsql/client";

const enc = new TextEncoder();

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export const localDelivery = defineHandler({
  event: "message.deliver",
  name: "local-delivery",
  timeoutMs: 30_000,
  async handle({ session, envelope, message, quarantine }, ctx): Promise<DeliveryResult> {
    const accounts = new Map<number, string>();
    const remote = new Set<string>();
    for (const r of envelope.recipients) {
      if (r.resolution.kind === "local") {
        for (const a of r.resolution.accounts) accounts.set(a.id, a.address);
        for (const x of r.resolution.remote) remote.add(x);
      } else if (r.resolution.kind === "remote") remote.add(r.address);
    }
    const ops: InStatement[] = [];
    if (accounts.size > 0) {
      // RFC 5321 §4.4: the delivering MTA records the envelope sender as Return-Path.
      const raw = concat(enc.encode(`Return-Path: <${envelope.mailFrom}>\r\n`), message);
      const mimeJson = JSON.stringify(parseMime(raw));
      ops.push(
        ...(deliverOp({
          bodyHash: hashBody(raw),
          raw,
          mimeJson,
          internalDate: ctx.now(),
          queueId: envelope.transactionId,
          targets: [...accounts.keys()].map((accountId) => ({ accountId, mailbox: quarantine ? "Junk" : "INBOX" })),
        }) as InStatement[]),
      );
    }
    if (remote.size > 0) {
      // RFC 6376 §5: the author's domain signs mail it sends. An authenticated session is
      // submission (RFC 6409) by our own users, so that copy is signed once, here, before it
      // is queued. Local copies never leave; inbound mail forwarded by an alias is not ours to sign.
      const outbound = session.authUser === null ? { message, failed: [] } : await signMessage(ctx.db, message, { now: ctx.now() });
      for (const f of outbound.failed) ctx.log.warn("dkim key could not sign", { selector: f.selector, reason: f.reason });
      const queued = outbound.message;
      const bodyHash = hashBody(queued);
      const p = envelope.mailParams;
      const byAddress = new Map(envelope.recipients.map((r) => [r.address, r]));
      ops.push(...bodyOp({ bodyHash, raw: queued, mimeJson: JSON.stringify(parseMime(queued)) }));
      ops.push(
        ...(enqueueOp({
          id: envelope.transactionId,
          bodyHash,
          mailFrom: envelope.mailFrom,
          envid: typeof p.ENVID === "string" ? p.ENVID : null,
          ret: p.RET === "FULL" || p.RET === "HDRS" ? p.RET : null,
          requiretls: p.REQUIRETLS === true,
          smtputf8: p.SMTPUTF8 === true,
          bodyType: p.BODY === "7BIT" || p.BODY === "8BITMIME" || p.BODY === "BINARYMIME" ? p.BODY : null,
          authUser: session.authUser,
          clientIp: session.remoteAddress,
          expiresAt: ctx.now() + ctx.config.delivery.retry.lifetimeMs,
          recipients: [...remote].map((address) => ({
            address,
            orcpt: byAddress.get(address)?.orcpt ?? null,
            notify: byAddress.get(address)?.notify ?? null,
          })),
        }) as InStatement[]),
      );
    }
    const results = ops.length > 0 ? await ctx.db.writer.write(ops) : [];
    const stored = readDeliveries(results);
    // Durable now: tell sessions that have these mailboxes selected (IMAP IDLE, RFC 2177).
    const byMailbox = new Map<number, number[]>();
    for (const d of stored) byMailbox.set(d.mailboxId, [...(byMailbox.get(d.mailboxId) ?? []), d.uid]);
    for (const [mailboxId, uids] of byMailbox) ctx.hub.publish({ mailboxId, kind: "exists", uids, modseq: 0 });
    return {
      queueId: envelope.transactionId,
      recipients: envelope.recipients.map((r) => ({ address: r.address, ok: true, reply: `Ok: delivered as ${envelope.transactionId}` })),
      stored: stored.map((d) => ({ mailboxId: d.mailboxId, uid: d.uid })),
      queued: [...remote],
    };
  },
});
