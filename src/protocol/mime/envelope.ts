// The IMAP ENVELOPE of a message or an encapsulated message/rfc822 (RFC 3501 §7.4.2,
// RFC 9051 §7.5.2), built from its header fields; the first of duplicated fields wins.

import { parseAddressList } from "./address.ts";
import { firstValue } from "./header.ts";
import type { Address, Envelope, HeaderField } from "./types.ts";

function nonEmpty(value: string | null): string | null {
  return value === null || value === "" ? null : value;
}

export function buildEnvelope(fields: readonly HeaderField[]): Envelope {
  const list = (name: string): Address[] | null => parseAddressList(firstValue(fields, name));
  const from = list("from");
  return {
    date: nonEmpty(firstValue(fields, "date")),
    subject: nonEmpty(firstValue(fields, "subject")),
    from,
    // RFC 3501 §7.4.2: Sender and Reply-To, when absent or empty, take the value of From.
    sender: list("sender") ?? from,
    replyTo: list("reply-to") ?? from,
    to: list("to"),
    cc: list("cc"),
    bcc: list("bcc"),
    inReplyTo: nonEmpty(firstValue(fields, "in-reply-to")),
    messageId: nonEmpty(firstValue(fields, "message-id")),
  };
}
