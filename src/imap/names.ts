// Mailbox names on the wire: UTF-8 for IMAP4rev2 / UTF8=ACCEPT sessions, modified UTF-7
// (RFC 3501 §5.1.3) for rev1 clients. Stored names are always UTF-8.

import { decodeMutf7, encodeMutf7 } from "../protocol/imap/mutf7.ts";

export function encodeMailboxName(name: string, utf8: boolean): string {
  return utf8 ? name : encodeMutf7(name);
}

/** The stored name for a client's name, or null when a rev1 client sent invalid mUTF-7. */
export function decodeMailboxName(name: string, utf8: boolean): string | null {
  if (/^inbox$/i.test(name)) return "INBOX";
  const decoded = utf8 ? name : decodeMutf7(name);
  if (decoded === null) return null;
  // RFC 9051 §5.1: INBOX is case-insensitive, also as the first hierarchy level.
  return /^inbox\//i.test(decoded) ? "INBOX" + decoded.slice(5) : decoded;
}
