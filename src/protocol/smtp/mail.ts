// MAIL FROM (RFC 5321 §4.1.1.2) with its ESMTP parameters: SIZE (RFC 1870), BODY
// (RFC 6152), SMTPUTF8 (RFC 6531), RET/ENVID (RFC 3461), AUTH (RFC 4954 §5), REQUIRETLS (RFC 8689).

import type { Resolution } from "../../events/catalog.ts";
import type { Path } from "./address.ts";
import type { MailParams } from "./params.ts";
import type { SmtpState } from "./types.ts";
import { emitPolicy, emitProvide, protocolError, reply, type Out } from "./emit.ts";

export function mailParamsRecord(p: MailParams): Record<string, string | true> {
  const r: Record<string, string | true> = {};
  if (p.size !== null) r.SIZE = String(p.size);
  if (p.body !== null) r.BODY = p.body;
  if (p.smtputf8) r.SMTPUTF8 = true;
  if (p.ret !== null) r.RET = p.ret;
  if (p.envid !== null) r.ENVID = p.envid;
  if (p.auth !== null) r.AUTH = p.auth;
  if (p.requireTls) r.REQUIRETLS = true;
  return r;
}

export function mail(s: SmtpState, out: Out, path: Path, params: MailParams, newId: () => string): void {
  if (s.greeted === "none") return protocolError(s, out, { code: 503, enhanced: "5.5.1", text: "Say hello first (EHLO)" });
  if (s.tx) return protocolError(s, out, { code: 503, enhanced: "5.5.1", text: "Nested MAIL command" });
  const submission = s.opts.role === "submission" || s.opts.role === "submissions";
  if (submission && s.session.authUser === null) {
    // RFC 4954 §6: 530 when the server requires authentication for this command.
    return reply(out, 530, "5.7.0", "Authentication required");
  }
  if (params.size !== null && params.size > s.opts.maxMessageBytes) {
    // RFC 1870 §6.1: the declared size exceeds the fixed limit.
    return reply(out, 552, "5.3.4", `Message size exceeds fixed maximum message size (${s.opts.maxMessageBytes})`);
  }
  if (params.body === "BINARYMIME") {
    // RFC 3030 §3: BINARYMIME is only valid with an advertised BINARYMIME, which we do not offer.
    return reply(out, 555, "5.5.4", "BODY=BINARYMIME not supported");
  }
  if (params.requireTls && s.session.tls === null) {
    // RFC 8689 §4.1: REQUIRETLS may only be used on a TLS-protected session.
    return reply(out, 530, "5.7.10", "REQUIRETLS needs a TLS session");
  }
  if (path.needsSmtputf8 && !params.smtputf8) {
    // RFC 6531 §3.5: non-ASCII address without the SMTPUTF8 parameter.
    return reply(out, 553, "5.6.7", "Non-ASCII address needs the SMTPUTF8 parameter");
  }
  const from = path.isNull ? "" : path.address;
  if (s.session.authUser !== null && s.opts.enforceSender && from !== "") {
    // Authenticated senders may use only their own addresses and aliases.
    emitProvide(s, out, { kind: "mail-sender", from, smtputf8: params.smtputf8, params }, "address.resolve", { session: s.session, address: from });
    return;
  }
  startMailPolicy(s, out, from, params.smtputf8, params, newId);
}

export function senderResolved(s: SmtpState, out: Out, from: string, smtputf8: boolean, params: MailParams, r: Resolution, newId: () => string): void {
  const user = s.session.authUser?.toLowerCase();
  const own = r.kind === "local" && r.accounts.some((a) => a.address.toLowerCase() === user);
  if (!own) return reply(out, 553, "5.7.1", `Sender address <${from}> not owned by user ${s.session.authUser}`);
  startMailPolicy(s, out, from, smtputf8, params, newId);
}

function startMailPolicy(s: SmtpState, out: Out, from: string, smtputf8: boolean, params: MailParams, newId: () => string): void {
  // The transaction id exists from MAIL on, so a rejected transaction has a trace too.
  s.tx = { id: newId(), from, fromSmtputf8: smtputf8, params, recipients: [], body: "none", failed: null };
  emitPolicy(s, out, { kind: "mail", from, smtputf8, params }, "smtp.mail", {
    session: s.session,
    transactionId: s.tx.id,
    from,
    params: mailParamsRecord(params),
  });
}
