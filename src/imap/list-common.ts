// Shared by the mailbox-management commands (CREATE, DELETE, RENAME, SUBSCRIBE, LIST, LSUB,
// STATUS): store failures become a tagged NO carrying their RFC 5530 response code.

import { ImapStoreError, type ImapStoreErrorCode } from "../store/imap-errors.ts";
import type { ImapSession } from "./session.ts";

// Fixed ASCII texts: resp-text is 7-bit for rev1 clients (RFC 3501 §9 TEXT-CHAR), so the
// (UTF-8) mailbox name never goes into it.
const TEXT: Record<ImapStoreErrorCode, string> = {
  ALREADYEXISTS: "Mailbox already exists",
  NONEXISTENT: "No such mailbox",
  TRYCREATE: "No such mailbox",
  HASCHILDREN: "Mailbox has inferior mailboxes; delete them first",
  CANNOT: "Invalid mailbox name",
  USEATTR: "Special-use attribute not supported",
  TOOBIG: "Too big",
};

/**
 * Answers an ImapStoreError with `NO [CODE] text` (RFC 5530 §3, RFC 6154 §5.3 USEATTR);
 * `texts` overrides the wording per code. Anything else is rethrown: the connection turns it
 * into `NO [SERVERBUG]` and logs it.
 */
export async function replyStoreError(s: ImapSession, tag: string, err: unknown, texts: Partial<Record<ImapStoreErrorCode, string>> = {}): Promise<void> {
  if (!(err instanceof ImapStoreError)) throw err;
  await s.tagged(tag, "NO", `[${err.code}] ${texts[err.code] ?? TEXT[err.code]}`);
}

/** The reply to a client name that is not valid modified UTF-7 / UTF-8 (RFC 9051 §5.1). */
export async function badMailboxName(s: ImapSession, tag: string): Promise<void> {
  await s.tagged(tag, "BAD", "Invalid mailbox name");
}
