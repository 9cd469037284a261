// The human-readable first part of a DSN (RFC 3464 §2, RFC 6522 §3: a text part that tells
// the sender what happened without reading the machine fields) and the Subject per kind.

import { rfc5322Date } from "../protocol/smtp/received.ts";
import { flattenReply, oneLine } from "./dsn-fields.ts";
import type { DsnKind } from "./dsn-notify.ts";
import type { DsnRecipient } from "./dsn-status.ts";

export const SUBJECTS: Readonly<Record<DsnKind, string>> = Object.freeze({
  failure: "Undelivered Mail Returned to Sender",
  delay: "Delayed Mail (still being retried)",
  success: "Successful Mail Delivery Report",
});

/** What a DSN mostly reports: any failure makes it a bounce, else any delay a warning. */
export function reportKind(recipients: readonly Pick<DsnRecipient, "action">[]): DsnKind {
  if (recipients.some((r) => r.action === "failed")) return "failure";
  if (recipients.some((r) => r.action === "delayed")) return "delay";
  return "success";
}

const INTRO: Readonly<Record<DsnKind, string>> = Object.freeze({
  failure: "Your message could not be delivered to one or more recipients.",
  delay: "Your message has not been delivered yet to one or more recipients.\r\nThe mail system keeps trying; you do not need to send it again.",
  success: "Your message was delivered as reported below.",
});

function outcome(r: DsnRecipient): string {
  switch (r.action) {
    case "failed":
      return "delivery failed permanently";
    case "delayed":
      return r.willRetryUntil != null
        ? `delivery delayed; retrying until ${rfc5322Date(r.willRetryUntil)}`
        : "delivery delayed; still retrying";
    case "delivered":
      return "delivered";
    case "relayed":
      return "relayed to a system that does not send delivery reports";
    case "expanded":
      return "delivered to a list or alias, which passed it on";
  }
}

/**
 * The text part: intro, one entry per recipient with the remote host and its reply, and what
 * is attached. Every interpolated value went through oneLine (no line can be injected).
 */
export function humanText(o: {
  kind: DsnKind;
  reportingMta: string;
  recipients: readonly DsnRecipient[];
  attached: "full" | "headers";
}): string {
  const lines = [`This is the mail delivery system at ${oneLine(o.reportingMta)}.`, "", INTRO[o.kind], ""];
  for (const r of o.recipients) {
    lines.push(`<${oneLine(r.address)}>: ${outcome(r)}`);
    if (r.remoteMta) lines.push(`    Remote server: ${oneLine(r.remoteMta)}`);
    if (r.diagnostic) lines.push(`    It said: ${flattenReply(r.diagnostic)}`);
    lines.push("");
  }
  lines.push(o.attached === "full" ? "Your original message is attached." : "The header of your original message is attached.");
  return lines.join("\r\n") + "\r\n";
}
