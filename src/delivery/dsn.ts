// Delivery status notifications (RFC 3464) as complete RFC 5322 messages: a multipart/report
// (RFC 6522) with a human-readable text, the delivery-status fields and the original message
// or its header; RFC 6533 "global" types when any of it carries UTF-8. Pure: bytes out.

import { Buffer } from "node:buffer";
import { splitHeader } from "../protocol/mime/bytes.ts";
import { rfc5322Date } from "../protocol/smtp/received.ts";
import { field, oneLine } from "./dsn-fields.ts";
import type { DsnKind } from "./dsn-notify.ts";
import { deliveryStatusBody, statusNeedsUtf8 } from "./dsn-status.ts";
import type { DsnRecipient } from "./dsn-status.ts";
import { humanText, reportKind, SUBJECTS } from "./dsn-text.ts";
import { toWireLines } from "./wire.ts";
import { concatBytes } from "../protocol/bytes.ts";

export type { DsnRecipient } from "./dsn-status.ts";
export { dsnKindOf, dsnRecipientsFor, notifyFlags, wantsDsn, DEFAULT_NOTIFY } from "./dsn-notify.ts";
export type { DsnAction, DsnKind, NotifyFlags } from "./dsn-notify.ts";

export type DsnInput = {
  /** Our hostname: Reporting-MTA and the MAILER-DAEMON address. */
  reportingMta: string;
  /** The original reverse-path, the DSN's To:. */
  originalMailFrom: string;
  envid: string | null;
  ret: "FULL" | "HDRS" | null;
  /** The queued message. */
  original: Uint8Array;
  arrivalDate: number;
  recipients: DsnRecipient[];
  now: number;
  messageId: string;
  /** The original transaction used SMTPUTF8 (RFC 6531): report with the RFC 6533 types. */
  smtputf8: boolean;
};

export type DsnOptions = {
  /**
   * Largest original returned whole; a larger one is returned as its header only (and a
   * header block larger than this is cut at a field boundary). Returning a 50 MiB attachment
   * to its sender helps nobody and amplifies backscatter. Default 1 MiB.
   */
  maxOriginalBytes?: number;
};

export const DEFAULT_MAX_ORIGINAL_BYTES = 1024 * 1024;

type Returned = { what: "full" | "headers"; bytes: Uint8Array; eightBit: boolean; headerUtf8: boolean };

/**
 * Which part of the original goes back (RFC 3461 §4.3). RET=FULL asks for the whole message
 * in a "failed" DSN; RET=HDRS for the header only. Without RET the choice is ours: the whole
 * message for failures (as Postfix does: the sender may have no other copy), the header for
 * delay and success reports (nothing was lost, the sender only needs to recognise the
 * message) — and the header for those even with RET=FULL, whose wording covers failures.
 * Either way the size cap applies.
 */
function returned(original: Uint8Array, ret: DsnInput["ret"], kind: DsnKind, maxBytes: number): Returned {
  const wire = toWireLines(original);
  const { headerEnd } = splitHeader(wire, 0, wire.length, { bytes: 0 });
  const headerUtf8 = hasHighByte(wire, 0, headerEnd);
  if (kind === "failure" && ret !== "HDRS" && wire.length <= maxBytes) {
    return { what: "full", bytes: wire, eightBit: hasHighByte(wire, 0, wire.length), headerUtf8 };
  }
  const header = cutHeader(wire, headerEnd, maxBytes);
  return { what: "headers", bytes: header, eightBit: headerUtf8, headerUtf8 };
}

/** The fields of wire[0, headerEnd) that fit in maxBytes, cut before a field (not inside one). */
function cutHeader(wire: Uint8Array, headerEnd: number, maxBytes: number): Uint8Array {
  if (headerEnd <= maxBytes) return wire.subarray(0, headerEnd);
  let cut = 0;
  for (let lf = wire.indexOf(0x0a); lf !== -1 && lf < maxBytes; lf = wire.indexOf(0x0a, lf + 1)) {
    const next = wire[lf + 1];
    if (next !== 0x20 && next !== 0x09) cut = lf + 1; // RFC 5322 §2.2.3: WSP continues a field
  }
  return wire.subarray(0, cut);
}

function hasHighByte(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i]! >= 0x80) return true;
  return false;
}

/** FNV-1a, only to make a boundary that differs per DSN and is stable for the same input. */
function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36);
}

/**
 * RFC 2046 §5.1.1: the boundary must not appear in any encapsulated part. "=_" cannot start a
 * quoted-printable or base64 sequence, and every part is still searched; a hit picks the next.
 */
function boundaryFor(seed: string, parts: readonly Uint8Array[]): string {
  for (let n = 0; ; n++) {
    const b = `=_hikyaku_dsn_${fnv(seed)}_${n}`;
    const needle = Buffer.from(b, "latin1");
    if (parts.every((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength).indexOf(needle) === -1)) return b;
  }
}

function messageIdField(id: string): string {
  const v = oneLine(id).replace(/^<|>$/g, "");
  return `<${v}>`;
}

const enc = new TextEncoder();

/**
 * The DSN for `input.recipients` (all of one report), CRLF line ends throughout. The caller
 * picks the recipients (dsnRecipientsFor) and must send the DSN with the null reverse-path <>
 * (RFC 5321 §4.5.5), so that it can never cause another DSN.
 */
export function buildDsn(input: DsnInput, options: DsnOptions = {}): Uint8Array {
  const maxOriginal = Math.max(0, options.maxOriginalBytes ?? DEFAULT_MAX_ORIGINAL_BYTES);
  const kind = reportKind(input.recipients);
  const orig = returned(input.original, input.ret, kind, maxOriginal);
  const perMessage = { reportingMta: input.reportingMta, envid: input.envid, arrivalDate: input.arrivalDate };

  // RFC 6533: message/global-delivery-status, message/global, message/global-headers carry
  // UTF-8 where the RFC 3464 / RFC 6522 types must be ASCII.
  const global =
    input.smtputf8 || orig.headerUtf8 || statusNeedsUtf8(perMessage, input.recipients, input.originalMailFrom);

  const text = enc.encode(humanText({ kind, reportingMta: input.reportingMta, recipients: input.recipients, attached: orig.what }));
  const status = enc.encode(deliveryStatusBody(perMessage, input.recipients));
  const textAscii = !hasHighByte(text, 0, text.length);
  const statusAscii = !hasHighByte(status, 0, status.length);
  const any8bit = !textAscii || !statusAscii || orig.eightBit;

  const boundary = boundaryFor(`${input.messageId}|${input.now}`, [text, status, orig.bytes]);
  const host = oneLine(input.reportingMta);
  // RFC 2045 §6.2: 7bit is the default and stays unlabelled; 8-bit text is labelled 8bit (RFC
  // 6532 §3.7 and RFC 6533 allow 8bit for the global types).
  const cte = (ascii: boolean) => (ascii ? "" : "Content-Transfer-Encoding: 8bit\r\n");

  const head =
    field("From", `Mail Delivery System <MAILER-DAEMON@${host}>`) +
    field("To", `<${oneLine(input.originalMailFrom)}>`) +
    field("Subject", SUBJECTS[kind]) +
    field("Date", rfc5322Date(input.now)) +
    field("Message-ID", messageIdField(input.messageId)) +
    // RFC 3834 §5.2: a response generated automatically to a message; stops auto-responders.
    "Auto-Submitted: auto-replied\r\n" +
    "MIME-Version: 1.0\r\n" +
    // RFC 6522 §3: report-type names the machine part; RFC 6533 adds media types, not a new
    // report-type, so it stays delivery-status for the global form too (as Postfix sends).
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"\r\n` +
    // RFC 2045 §6.4: a multipart is 7bit, 8bit or binary — 8bit when a part is.
    cte(!any8bit) +
    "\r\n" +
    "This is a MIME-encapsulated message.\r\n\r\n";

  const textHead =
    `--${boundary}\r\n` +
    "Content-Description: Notification\r\n" +
    `Content-Type: text/plain; charset=${textAscii ? "us-ascii" : "utf-8"}\r\n` +
    cte(textAscii) +
    "\r\n";
  const statusHead =
    `\r\n--${boundary}\r\n` +
    "Content-Description: Delivery report\r\n" +
    `Content-Type: ${global ? "message/global-delivery-status" : "message/delivery-status"}\r\n` +
    cte(statusAscii) +
    "\r\n";
  const origType =
    orig.what === "full" ? (global ? "message/global" : "message/rfc822") : global ? "message/global-headers" : "text/rfc822-headers";
  const origHead =
    `\r\n--${boundary}\r\n` +
    `Content-Description: ${orig.what === "full" ? "Undelivered message" : "Message header"}\r\n` +
    `Content-Type: ${origType}\r\n` +
    cte(!orig.eightBit) +
    "\r\n";
  const close = `\r\n--${boundary}--\r\n`;

  return concatBytes([enc.encode(head + textHead), text, enc.encode(statusHead), status, enc.encode(origHead), orig.bytes, enc.encode(close)]);
}
