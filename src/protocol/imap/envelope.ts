// The FETCH ENVELOPE structure (RFC 9051 §7.5.2, RFC 3501 §7.4.2) written from the Envelope
// stored at delivery; non-ASCII text becomes RFC 2047 encoded words unless UTF8=ACCEPT is on.

import libmime from "libmime";
import type { Address, Envelope } from "../mime/types.ts";
import type { ImapWriter } from "./serialize.ts";

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/**
 * Header text for a client: as is with UTF8=ACCEPT (RFC 9051 §6.3.1 / RFC 6855 §3); else
 * non-ASCII words become RFC 2047 encoded words (the downgrade of RFC 6857 §3.2), so the
 * client sees 7-bit text it can decode. Values already written with encoded words pass through.
 */
export function clientText(value: string, utf8: boolean): string {
  if (utf8 || isAscii(value)) return value;
  try {
    return libmime.encodeWords(value, "Q", 52);
  } catch {
    return value;
  }
}

function nclientText(value: string | null, utf8: boolean): string | null {
  return value === null ? null : clientText(value, utf8);
}

/**
 * RFC 9051 §9 address: "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")". The
 * route (adl) is obsolete and always NIL. A group start has host NIL and the group name as
 * mailbox; a group end has both NIL (RFC 3501 §7.4.2).
 */
function writeAddress(w: ImapWriter, a: Address): void {
  w.open();
  w.nstring(nclientText(a.name, w.utf8));
  w.nil();
  // The group name is a phrase (RFC 5322 §3.4), so it is encoded like a display name.
  w.nstring(a.host === null ? nclientText(a.mailbox, w.utf8) : a.mailbox);
  // host "" (no domain) must stay a string: NIL would read as group syntax.
  w.nstring(a.host);
  w.close();
}

/** env-from etc.: "(" 1*address ")" / nil — the addresses are adjacent, without SP. */
function writeAddressList(w: ImapWriter, list: readonly Address[] | null): void {
  if (list === null || list.length === 0) {
    w.nil();
    return;
  }
  w.open();
  for (let i = 0; i < list.length; i++) {
    if (i > 0) w.glue();
    writeAddress(w, list[i]!);
  }
  w.close();
}

/**
 * RFC 9051 §9 envelope: "(" env-date SP env-subject SP env-from SP env-sender SP
 * env-reply-to SP env-to SP env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")".
 * Date, In-Reply-To and Message-ID are sent as written; so is Subject, except that raw
 * non-ASCII is re-encoded for clients without UTF8=ACCEPT.
 */
export function writeEnvelope(w: ImapWriter, env: Envelope): void {
  w.open();
  w.nstring(env.date);
  w.nstring(nclientText(env.subject, w.utf8));
  writeAddressList(w, env.from);
  writeAddressList(w, env.sender);
  writeAddressList(w, env.replyTo);
  writeAddressList(w, env.to);
  writeAddressList(w, env.cc);
  writeAddressList(w, env.bcc);
  w.nstring(env.inReplyTo);
  w.nstring(env.messageId);
  w.close();
}
