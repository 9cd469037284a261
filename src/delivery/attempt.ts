// One delivery attempt for one claimed batch (one message, one recipient domain): route,
// resolve, secure, try hosts in order (RFC 5321 §5.1), run the transactions, and return one
// decision per recipient. Writes nothing: the worker records the decisions in one op.

import { createHash } from "node:crypto";
import type { Config } from "../config/schema.ts";
import type { Db } from "../db/client.ts";
import type { Bus } from "../events/bus.ts";
import { TraceBuffer } from "../events/trace.ts";
import type { Logger } from "../log/logger.ts";
import { getBody } from "../store/messages.ts";
import type { ClaimedBatch } from "../store/queue.ts";
import type { DnsResolver } from "../dns/resolver.ts";
import { downgradeTo7bit } from "./downgrade.ts";
import type { DeliveryLimits } from "./limits.ts";
import { extraCaPem } from "./mta-sts-fetch.ts";
import { lookupStsPolicy, mxMatchesPolicy, tlsRequirement, type StsPolicy } from "./mta-sts.ts";
import { resolveMx } from "./mx.ts";
import { connectSmtp, SmtpClientError, type ConnectOptions, type SmtpSession } from "./smtp-client.ts";
import { smtpUtf8Need } from "./smtputf8.ts";
import { replyLine } from "./smtp-reply.ts";
import { literalTarget, mxTargets, relayTargets, type MxResult, type TargetHost, type Targets, type Verdict } from "./targets.ts";
import { runTransactions, type Decision, type Envelope } from "./transactions.ts";
import { toWireLines } from "./wire.ts";

export type { Decision } from "./transactions.ts";

export type SessionSource = {
  /** An idle cached session for this connection (same address, port, TLS policy), or null. */
  take(key: string): SmtpSession | null;
  /** Gives a session back after a clean transaction; the cache may close it. */
  give(key: string, session: SmtpSession): void;
};

export type AttemptDeps = {
  db: Db;
  config: Config;
  bus: Bus;
  log: Logger;
  now: () => number;
  resolver: DnsResolver;
  limits?: DeliveryLimits;
  /** Tests: replace MX resolution / MTA-STS lookup / connecting. */
  resolveMx?: (domain: string) => Promise<MxResult>;
  lookupSts?: (domain: string) => Promise<StsPolicy | null>;
  connect?: (o: ConnectOptions) => Promise<SmtpSession>;
  sessions?: SessionSource;
};

export type AttemptResult = { decisions: Map<number, Decision>; body: Uint8Array | null };

function allWith(batch: ClaimedBatch, v: Verdict, host: string | null = null): Map<number, Decision> {
  return new Map(batch.recipients.map((r) => [r.id, { outcome: v.outcome, reply: v.reply, status: v.status, host }]));
}

function hasEightBit(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] > 0x7f) return true;
  return false;
}

async function targetsFor(batch: ClaimedBatch, deps: AttemptDeps): Promise<Targets> {
  const { message, domain } = batch;
  const scope = { log: deps.log, results: new Map<string, unknown>(), trace: new TraceBuffer() };
  let route;
  try {
    route = await deps.bus.provide("delivery.route", { queueId: message.id, mailFrom: message.mailFrom, domain, recipients: batch.recipients.map((r) => r.address), authUser: message.authUser }, scope);
  } catch {
    return { kind: "verdict", verdict: { outcome: "deferred", status: "4.3.0", reply: "451 4.3.0 delivery.route handler failed" } };
  }
  if (route.kind === "relay") return relayTargets(route, deps.resolver);
  const port = deps.config.delivery.port;
  const literal = literalTarget(domain, port);
  if (literal) return { kind: "hosts", hosts: [literal], requireTlsExtension: message.requiretls };
  const mx = await (deps.resolveMx ?? ((d: string) => resolveMx(d, deps.resolver)))(domain);
  let policy: StsPolicy | null = null;
  if (mx.kind === "hosts" && (deps.config.delivery.tls.mtaSts || message.requiretls)) {
    try {
      policy = deps.lookupSts
        ? await deps.lookupSts(domain)
        : (await lookupStsPolicy(deps.db, domain, { resolver: deps.resolver, ca: deps.config.delivery.tls.ca ?? null, now: deps.now() })).policy;
    } catch (err) {
      deps.log.warn("MTA-STS lookup failed", { domain, error: err });
    }
    if (policy?.mode === "testing") {
      // RFC 8461 §5: testing mode only reports (TLSRPT); delivery stays opportunistic.
      const misfits = mx.hosts.filter((h) => !mxMatchesPolicy(policy!, h.host)).map((h) => h.host);
      if (misfits.length) deps.log.info("MTA-STS testing: MX hosts not in the policy", { domain, hosts: misfits });
    }
  }
  return mxTargets(mx, domain, port, tlsRequirement(policy, message.requiretls), message.requiretls, deps.config.hostname);
}

/**
 * A cached session is reused only for the same connection AND the same credentials: two
 * routes may name one relay account with different passwords, and a session authenticated
 * with the right one must not carry the other route's mail (the key hashes the password so
 * it never sits in a map key in clear).
 */
function sessionKey(t: TargetHost, address: string, heloName: string): string {
  const auth = t.auth ? `${t.auth.user}|${createHash("sha256").update(`${t.auth.user}\0${t.auth.pass}`).digest("base64url")}` : "";
  return `${address}|${t.port}|${t.host}|${JSON.stringify(t.tls)}|${auth}|${heloName}`;
}

/** Why a host could not take the message (tried the next one); the last one decides if all fail. */
type HostFailure = { decision: Decision; capability: boolean };

function connectFailure(err: unknown, host: string): HostFailure {
  if (err instanceof SmtpClientError) {
    const reply = err.reply ? replyLine(err.reply) : `${err.stage}: ${err.message}`;
    // Deferred even after a 5xx greeting/EHLO: another host or a later try may work (Postfix
    // smtp_skip_5xx_greeting); RFC 3463 4.4.1 no answer, 4.4.2 bad connection, 4.7.5 TLS.
    // A relay's 535 (RFC 4954 §6) is our own configuration problem, not the recipient's:
    // deferred too, so the operator can fix the credentials before the lifetime ends.
    const status = err.kind === "tls" ? "4.7.5" : err.kind === "connect" ? "4.4.1" : "4.4.2";
    return { decision: { outcome: "deferred", reply, status, host }, capability: false };
  }
  return { decision: { outcome: "deferred", reply: String(err), status: "4.4.2", host }, capability: false };
}

export async function deliverBatch(batch: ClaimedBatch, deps: AttemptDeps): Promise<AttemptResult> {
  const { message } = batch;
  const stored = await getBody(deps.db, message.bodyHash);
  if (!stored) return { decisions: allWith(batch, { outcome: "failed", status: "5.3.0", reply: "554 5.3.0 queued message body is missing" }), body: null };
  const body = stored.content;
  const targets = await targetsFor(batch, deps);
  if (targets.kind === "verdict") return { decisions: allWith(batch, targets.verdict), body };

  const d = deps.config.delivery;
  const wire = toWireLines(body);
  const utf8 = smtpUtf8Need({ mailFrom: message.mailFrom, recipients: batch.recipients.map((r) => r.address), message: body });
  const env: Envelope = {
    mailFrom: message.mailFrom,
    data: wire,
    eightBit: message.bodyType === "8BITMIME" || message.bodyType === "BINARYMIME" || hasEightBit(wire),
    smtputf8: utf8.needed || message.smtputf8,
    requiretls: targets.requireTlsExtension,
    ret: message.ret,
    envid: message.envid,
  };
  // delivery.tls.ca may name a file (config schema): node:tls wants the PEM text itself.
  const ca = await extraCaPem(d.tls.ca);
  const decisions = new Map<number, Decision>();
  let last: HostFailure | null = null;
  const connect = deps.connect ?? connectSmtp;

  hosts: for (const t of targets.hosts) {
    for (const address of t.addresses) {
      const pending = batch.recipients.filter((r) => !decisions.has(r.id));
      if (pending.length === 0) break hosts;
      const hostName = `${t.host}[${address}]`;
      const release = deps.limits ? await deps.limits.perHost.acquire(t.host) : () => {};
      const key = sessionKey(t, address, deps.config.hostname);
      let session: SmtpSession | null = deps.sessions?.take(key) ?? null;
      try {
        if (!session) {
          const v6 = address.includes(":");
          session = await connect({
            address,
            port: t.port,
            host: t.host,
            heloName: deps.config.hostname,
            localAddress: v6 ? d.sourceAddress6 : d.sourceAddress,
            tls: t.tls,
            ca,
            timeouts: d.timeouts,
            auth: t.auth,
          });
        }
      } catch (err) {
        release();
        last = connectFailure(err, hostName);
        deps.log.info("delivery connection failed", { queueId: message.id, host: hostName, reason: last.decision.reply });
        continue;
      }
      try {
        // RFC 6531 §3.2/§3.5: without SMTPUTF8 at the server the message cannot go this way.
        if (utf8.needed && !session.extensions.has("SMTPUTF8")) {
          last = { decision: { outcome: "failed", status: utf8.status, reply: `553 ${utf8.status} ${t.host} does not support SMTPUTF8 (${utf8.detail})`, host: hostName }, capability: true };
          continue;
        }
        // RFC 8689 §4.2.1: the next hop must announce REQUIRETLS, else try another one.
        if (env.requiretls && !session.extensions.has("REQUIRETLS")) {
          last = { decision: { outcome: "failed", status: "5.7.30", reply: `550 5.7.30 ${t.host} does not support REQUIRETLS`, host: hostName }, capability: true };
          continue;
        }
        let hostEnv = env;
        // RFC 6152 §3: 8-bit data only to a server announcing 8BITMIME; otherwise convert it.
        if (env.eightBit && !session.extensions.has("8BITMIME")) {
          const down = downgradeTo7bit(body);
          if (!down.ok) {
            last = { decision: { outcome: "failed", status: "5.6.3", reply: `554 5.6.3 Conversion to 7bit failed: ${down.reason}`, host: hostName }, capability: true };
            continue;
          }
          const data = toWireLines(down.message);
          hostEnv = { ...env, data, eightBit: hasEightBit(data) };
        }
        // RFC 1870 §6.1: a message larger than the announced SIZE would get 552.
        if (session.maxSize > 0 && hostEnv.data.length > session.maxSize) {
          last = { decision: { outcome: "failed", status: "5.3.4", reply: `552 5.3.4 Message too big for ${t.host} (limit ${session.maxSize})`, host: hostName }, capability: true };
          continue;
        }
        const run = await runTransactions(session, pending, hostEnv, d.maxRecipientsPerTransaction);
        for (const [id, dec] of run.decided) decisions.set(id, dec);
        if (run.reusable && deps.sessions) {
          deps.sessions.give(key, session);
          session = null;
        }
      } finally {
        session?.close();
        release();
      }
    }
  }
  // Whatever no host decided: the last failure says why (deferred, or failed for capability).
  const fallback: Decision = last?.decision ?? { outcome: "deferred", status: "4.4.1", reply: "no MX host could be reached", host: null };
  for (const r of batch.recipients) if (!decisions.has(r.id)) decisions.set(r.id, fallback);
  return { decisions, body };
}
