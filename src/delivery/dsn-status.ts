// The machine-readable part of a DSN: the message/delivery-status body (RFC 3464 §2), or its
// RFC 6533 form message/global-delivery-status, whose fields may carry UTF-8.

import { rfc5322Date } from "../protocol/smtp/received.ts";
import { field, flattenReply, isAscii, oneLine } from "./dsn-fields.ts";
import type { DsnAction } from "./dsn-notify.ts";

export type DsnRecipient = {
  address: string;
  /** ORCPT as queued: "addr-type;address", the address already xtext-decoded (RFC 3461 §4.2). */
  orcpt: string | null;
  action: DsnAction;
  /** RFC 3463 enhanced status, e.g. "5.1.1". */
  status: string;
  /** The remote reply, e.g. "550 5.1.1 no such user" (multi-line replies are joined). */
  diagnostic: string | null;
  remoteMta: string | null;
  lastAttemptAt: number | null;
  willRetryUntil?: number | null;
};

export type PerMessage = {
  reportingMta: string;
  /** ENVID, xtext-decoded (RFC 3461 §4.4); the SMTP session stores it decoded. */
  envid: string | null;
  arrivalDate: number;
};

// RFC 3464 §2.3.4 / RFC 3463 §2: class "." subject "." detail; class 2, 4 or 5.
const STATUS = /^[245]\.\d{1,3}\.\d{1,3}$/;

/** The status to report: the given one when well-formed, else the generic one for the action. */
export function statusFor(action: DsnAction, status: string): string {
  const s = status.trim();
  if (STATUS.test(s)) return s;
  switch (action) {
    case "failed":
      return "5.0.0";
    case "delayed":
      return "4.0.0";
    case "delivered":
    case "relayed":
    case "expanded":
      return "2.0.0";
  }
}

/**
 * RFC 3464 §2.3.2 Final-Recipient: "rfc822; addr" for an ASCII address; RFC 6533 §3 defines
 * the "utf-8" address type for one with non-ASCII characters (written as UTF-8, which only
 * message/global-delivery-status may carry).
 */
export function finalRecipient(address: string): string {
  const a = oneLine(address);
  return isAscii(a) ? `rfc822;${a}` : `utf-8;${a}`;
}

/** RFC 3464 §2.3.1: the ORCPT address type and address, as the client gave them. */
export function originalRecipient(orcpt: string): string {
  const v = oneLine(orcpt);
  const semi = v.indexOf(";");
  if (semi <= 0) return `${isAscii(v) ? "rfc822" : "utf-8"};${v}`;
  return `${v.slice(0, semi).trim().toLowerCase()};${v.slice(semi + 1).trim()}`;
}

/**
 * RFC 3464 §2.3.6: diagnostic-type "smtp" when the text is an SMTP reply (three digits first,
 * RFC 5321 §4.2); a local error (no route, timeout) is not, so it gets a private "X-" type.
 */
export function diagnosticCode(diagnostic: string): string {
  const d = flattenReply(diagnostic);
  return /^[2-5]\d\d(?:[ -]|$)/.test(d) ? `smtp; ${d}` : `X-Hikyaku; ${d}`;
}

/** RFC 3464 §2.2: the per-message fields, in the order of its ABNF. */
function perMessageFields(m: PerMessage): string {
  let out = "";
  // §2.2.1: the envelope id as given with ENVID, decoded from xtext (RFC 3461 §4.4).
  if (m.envid !== null && m.envid !== "") out += field("Original-Envelope-Id", oneLine(m.envid));
  out += field("Reporting-MTA", `dns; ${oneLine(m.reportingMta)}`); // §2.2.2
  out += field("Arrival-Date", rfc5322Date(m.arrivalDate)); // §2.2.5
  return out;
}

/** RFC 3464 §2.3: one recipient's fields, in the order of its ABNF. */
function perRecipientFields(r: DsnRecipient): string {
  let out = "";
  if (r.orcpt !== null && r.orcpt.trim() !== "") out += field("Original-Recipient", originalRecipient(r.orcpt)); // §2.3.1
  out += field("Final-Recipient", finalRecipient(r.address)); // §2.3.2
  out += field("Action", r.action); // §2.3.3
  out += field("Status", statusFor(r.action, r.status)); // §2.3.4
  if (r.remoteMta) out += field("Remote-MTA", `dns; ${oneLine(r.remoteMta)}`); // §2.3.5
  if (r.diagnostic) out += field("Diagnostic-Code", diagnosticCode(r.diagnostic)); // §2.3.6
  if (r.lastAttemptAt !== null) out += field("Last-Attempt-Date", rfc5322Date(r.lastAttemptAt)); // §2.3.7
  // §2.3.9: Will-Retry-Until is for "delayed" only.
  if (r.action === "delayed" && r.willRetryUntil != null) out += field("Will-Retry-Until", rfc5322Date(r.willRetryUntil));
  return out;
}

/**
 * RFC 3464 §2.1: per-message fields, then each recipient's fields, the groups separated by a
 * blank line. Every value went through oneLine, so no group can be split or extended.
 */
export function deliveryStatusBody(m: PerMessage, recipients: readonly DsnRecipient[]): string {
  return [perMessageFields(m), ...recipients.map(perRecipientFields)].join("\r\n");
}

/** True when some field of the report would carry non-ASCII text (RFC 6533 types needed). */
export function statusNeedsUtf8(m: PerMessage, recipients: readonly DsnRecipient[], mailFrom: string): boolean {
  const texts = [m.reportingMta, m.envid ?? "", mailFrom];
  for (const r of recipients) texts.push(r.address, r.orcpt ?? "", r.diagnostic ?? "", r.remoteMta ?? "");
  return texts.some((t) => !isAscii(t));
}
