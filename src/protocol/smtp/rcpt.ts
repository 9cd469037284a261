// RCPT TO (RFC 5321 §4.1.1.3) with DSN NOTIFY/ORCPT (RFC 3461 §4.1–4.2). The relay rule
// is the core's, not a handler's (DESIGN §5): foreign domains need AUTH on submission.

import type { RecipientInfo, Resolution } from "../../events/catalog.ts";
import type { RcptPath } from "./address.ts";
import type { RcptParams } from "./params.ts";
import type { SmtpState } from "./types.ts";
import { emitPolicy, emitProvide, protocolError, reply, type Out } from "./emit.ts";

function notifyString(p: RcptParams): string | null {
  if (!p.notify) return null;
  if (p.notify.never) return "NEVER";
  return [p.notify.success && "SUCCESS", p.notify.failure && "FAILURE", p.notify.delay && "DELAY"].filter(Boolean).join(",");
}

export function rcpt(s: SmtpState, out: Out, path: RcptPath, params: RcptParams): void {
  if (!s.tx) return protocolError(s, out, { code: 503, enhanced: "5.5.1", text: "Need MAIL before RCPT" });
  if (s.tx.body === "bdat") return protocolError(s, out, { code: 503, enhanced: "5.5.1", text: "RCPT not allowed after BDAT" });
  if (s.tx.recipients.length >= s.opts.maxRecipients) {
    // RFC 5321 §4.5.3.1.10: too many recipients is a temporary 452 (RFC 3463 4.5.3).
    return reply(out, 452, "4.5.3", "Too many recipients");
  }
  if (path.needsSmtputf8 && !s.tx.fromSmtputf8) {
    return reply(out, 553, "5.6.7", "Non-ASCII address needs the SMTPUTF8 parameter on MAIL");
  }
  // RFC 5321 §4.5.1: "Postmaster" without a domain must be accepted; it is ours.
  const address = path.isPostmaster ? `postmaster@${s.opts.hostname.toLowerCase()}` : path.address;
  const orcpt = params.orcpt ? `${params.orcpt.addrType};${params.orcpt.address}` : null;
  if (path.isLiteral) {
    // Address literals are never one of our domains here: treat as foreign (no relay by IP).
    return recipientResolved(s, out, address, orcpt, notifyString(params), { kind: "remote" });
  }
  emitProvide(s, out, { kind: "rcpt-resolve", address, orcpt, notify: notifyString(params) }, "address.resolve", { session: s.session, address });
}

export function recipientResolved(s: SmtpState, out: Out, address: string, orcpt: string | null, notify: string | null, r: Resolution): void {
  if (!s.tx) return;
  if (r.kind === "unknown") return reply(out, 550, "5.1.1", `<${address}>: Recipient address rejected: User unknown`);
  if (r.kind === "remote") {
    const mayRelay = (s.opts.role === "submission" || s.opts.role === "submissions") && s.session.authUser !== null;
    if (!mayRelay) {
      // No open relay (DESIGN §5); LMTP and MX deliver locally only.
      return reply(out, 554, "5.7.1", `<${address}>: Relay access denied`);
    }
  }
  const recipient: RecipientInfo = { address, orcpt, notify, resolution: r };
  emitPolicy(s, out, { kind: "rcpt", recipient }, "smtp.rcpt", { session: s.session, transactionId: s.tx.id, from: s.tx.from, recipient });
}

export function recipientAccepted(s: SmtpState, out: Out, recipient: RecipientInfo): void {
  if (!s.tx) return;
  s.tx.recipients.push(recipient);
  reply(out, 250, "2.1.5", `<${recipient.address}> OK`);
}
