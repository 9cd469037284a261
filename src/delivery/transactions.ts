// Runs one batch's SMTP transactions over an established session and turns every reply into a
// per-recipient decision (RFC 5321 §4.2.5, §6.1): 4xx defers, 5xx fails, a lost connection
// after DATA leaves the outcome unknown and defers (never counted as delivered).

import type { QueueRecipient } from "../store/queue.ts";
import { replyLine, replyStatus, type SmtpReply } from "./smtp-reply.ts";
import type { SmtpSession, Transaction } from "./smtp-client.ts";

export type Decision = {
  outcome: "delivered" | "deferred" | "failed";
  reply: string;
  status: string;
  host: string | null;
  /** The accepting server took DSN parameters, so it reports success itself (RFC 3461 §4.1). */
  remoteDsn?: boolean;
};

export type Envelope = {
  mailFrom: string;
  /** MAIL FROM parameters not depending on the server (built by mailParams()). */
  data: Uint8Array;
  eightBit: boolean;
  smtputf8: boolean;
  requiretls: boolean;
  ret: "FULL" | "HDRS" | null;
  envid: string | null;
};

/** RFC 3461 §4: xtext — "+" and "=" and anything outside "!".."~" as "+HH". */
export function xtext(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    out += b < 0x21 || b > 0x7e || b === 0x2b || b === 0x3d ? "+" + b.toString(16).toUpperCase().padStart(2, "0") : String.fromCharCode(b);
  }
  return out;
}

/** MAIL FROM parameters for this server (only extensions it announced, RFC 5321 §4.1.1.11). */
export function mailParams(env: Envelope, ext: ReadonlySet<string>): string[] {
  const p: string[] = [];
  if (ext.has("SIZE")) p.push(`SIZE=${env.data.length}`); // RFC 1870 §6
  if (env.eightBit && ext.has("8BITMIME")) p.push("BODY=8BITMIME"); // RFC 6152 §3
  if (env.smtputf8 && ext.has("SMTPUTF8")) p.push("SMTPUTF8"); // RFC 6531 §3.4
  if (ext.has("DSN")) {
    if (env.ret) p.push(`RET=${env.ret}`); // RFC 3461 §4.3
    if (env.envid) p.push(`ENVID=${xtext(env.envid)}`); // RFC 3461 §4.4
  }
  if (env.requiretls) p.push("REQUIRETLS"); // RFC 8689 §4.1
  return p;
}

/** RCPT TO parameters: the NOTIFY and ORCPT the sender gave us, when the server takes DSN (RFC 3461 §4.1, §4.2). */
export function rcptParams(r: Pick<QueueRecipient, "notify" | "orcpt">, ext: ReadonlySet<string>): string[] {
  if (!ext.has("DSN")) return [];
  const p: string[] = [];
  if (r.notify) p.push(`NOTIFY=${r.notify}`);
  if (r.orcpt) {
    const semi = r.orcpt.indexOf(";");
    if (semi > 0) p.push(`ORCPT=${r.orcpt.slice(0, semi)};${xtext(r.orcpt.slice(semi + 1))}`);
  }
  return p;
}

function fromReply(r: SmtpReply, host: string, deferStatus = "4.0.0"): Decision {
  const line = replyLine(r);
  if (r.code >= 200 && r.code < 300) return { outcome: "delivered", reply: line, status: replyStatus(r), host };
  if (r.code >= 500) return { outcome: "failed", reply: line, status: replyStatus(r, "4.0.0", "5.0.0"), host };
  return { outcome: "deferred", reply: line, status: replyStatus(r, deferStatus), host };
}

export type SessionRun = {
  decided: Map<number, Decision>;
  /** The session may carry another transaction (no drop, no timeout). */
  reusable: boolean;
};

/**
 * Sends `recipients` in transactions of at most `perTransaction` RCPTs (RFC 5321 §4.5.3.1.8).
 * A MAIL 5xx fails the transaction's recipients; a MAIL 4xx defers them; a broken connection
 * defers the transaction in flight and leaves the rest undecided (for the next host).
 */
export async function runTransactions(session: SmtpSession, recipients: readonly QueueRecipient[], env: Envelope, perTransaction: number): Promise<SessionRun> {
  const decided = new Map<number, Decision>();
  const host = `${session.host}[${session.address}]`;
  const params = mailParams(env, session.extensions);
  let needsReset = false;
  for (let i = 0; i < recipients.length; i += perTransaction) {
    const chunk = recipients.slice(i, i + perTransaction);
    if (needsReset && !(await session.reset())) return { decided, reusable: false };
    const tx: Transaction = {
      mailFrom: env.mailFrom,
      mailParams: params,
      recipients: chunk.map((r) => ({ address: r.address, params: rcptParams(r, session.extensions) })),
      data: env.data,
    };
    const res = await session.send(tx);
    switch (res.kind) {
      case "mail":
        for (const r of chunk) decided.set(r.id, fromReply(res.reply, host));
        needsReset = true;
        break;
      case "done": {
        const data = res.data ? { ...fromReply(res.data, host), remoteDsn: session.extensions.has("DSN") } : null;
        for (const r of chunk) {
          const rej = res.rejected.get(r.address);
          if (rej) decided.set(r.id, fromReply(rej, host));
          else if (data) decided.set(r.id, data);
          // Accepted at RCPT but no DATA reply: cannot happen with a complete "done"; defer to be safe.
          else decided.set(r.id, { outcome: "deferred", reply: "no reply to DATA", status: "4.4.2", host });
        }
        needsReset = !res.data || res.data.code >= 300;
        break;
      }
      case "dropped":
        // RFC 5321 §6.1: without the final reply the message may or may not have been taken;
        // deferring risks a duplicate, counting it delivered risks a loss — we defer.
        for (const r of chunk) {
          decided.set(r.id, { outcome: "deferred", reply: `connection lost: ${res.error.message}`, status: res.error.kind === "timeout" ? "4.4.2" : "4.4.2", host });
        }
        return { decided, reusable: false };
    }
  }
  if (needsReset && !(await session.reset())) return { decided, reusable: false };
  return { decided, reusable: session.usable() };
}
