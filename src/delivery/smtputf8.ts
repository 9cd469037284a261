// Whether a queued transaction needs the peer's SMTPUTF8 (RFC 6531): a non-ASCII mailbox in
// the envelope, or UTF-8 in a header block at any level of the MIME structure (RFC 6532).
// A server without SMTPUTF8 cannot take such a message; it fails with the status returned here.

import { domainToASCII } from "node:url";
import { parseMime } from "../protocol/mime/parse.ts";
import type { MimePart } from "../protocol/mime/types.ts";

export type SmtpUtf8Need =
  | { needed: false }
  | {
      needed: true;
      reason: "address" | "header";
      /**
       * RFC 6531 §3.5: X.6.7 "Non-ASCII addresses not permitted for that sender/recipient"
       * for an address; X.6.9 "UTF-8 header message cannot be transferred to one or more
       * recipients" for a message with UTF-8 headers. Permanent (5.x.x): trying another MX of
       * the same domain is allowed (RFC 6531 §3.2, §3.7.2), but retrying later is pointless.
       */
      status: "5.6.7" | "5.6.9";
      detail: string;
    };

export type SmtpUtf8Input = { mailFrom: string; recipients: readonly string[]; message: Uint8Array };

/**
 * The address as the peer can take it without SMTPUTF8: unchanged when ASCII; with a U-label
 * domain converted to A-labels (RFC 6531 §3.2: an IDN in A-label form is not
 * "internationalized"); null when the local part is non-ASCII or the domain cannot convert.
 */
export function asciiAddress(address: string): string | null {
  if (isAsciiString(address)) return address;
  const at = address.lastIndexOf("@");
  if (at === -1) return null;
  const local = address.slice(0, at);
  if (!isAsciiString(local)) return null;
  const domain = domainToASCII(address.slice(at + 1));
  return domain === "" ? null : `${local}@${domain}`;
}

/** The first reason this transaction needs SMTPUTF8, with the DSN status to fail it with. */
export function smtpUtf8Need(input: SmtpUtf8Input): SmtpUtf8Need {
  for (const a of [input.mailFrom, ...input.recipients]) {
    if (a !== "" && asciiAddress(a) === null) {
      return { needed: true, reason: "address", status: "5.6.7", detail: `non-ASCII address ${a}` };
    }
  }
  if (headersHaveUtf8(input.message)) {
    return { needed: true, reason: "header", status: "5.6.9", detail: "message has UTF-8 header fields" };
  }
  return { needed: false };
}

export function needsSmtpUtf8(input: SmtpUtf8Input): boolean {
  return smtpUtf8Need(input).needed;
}

/**
 * RFC 6531 §3.2: no internationalized header "at any level within its MIME structure": the
 * top-level header, each body part's header, and the header of identity-encoded encapsulated
 * messages (a base64 message/global hides its header from transport, RFC 6532 §3.7).
 */
export function headersHaveUtf8(message: Uint8Array): boolean {
  if (!hasHighByte(message, 0, message.length)) return false; // the common case, no parse
  const parsed = parseMime(message);
  const visit = (p: MimePart): boolean =>
    hasHighByte(message, p.headerStart, p.headerEnd) ||
    (p.parts ?? []).some(visit) ||
    (p.message !== undefined && visit(p.message.part));
  return visit(parsed.root);
}

function isAsciiString(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

function hasHighByte(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i]! >= 0x80) return true;
  return false;
}
