// Types of the sans-I/O POP3 session (DESIGN §1): its state, the inputs the socket layer
// feeds in, and the actions (data) it carries out. No I/O happens here.

import type { PayloadOf, SessionInfo, TlsInfo } from "../../events/catalog.ts";
import type { Verdict } from "../../events/verdict.ts";
import type { SaslServer } from "../sasl/mod.ts";

export type Pop3Options = {
  readonly hostname: string;
  /** STLS can be offered: a certificate exists and the listener is not implicit TLS. */
  readonly startTlsAvailable: boolean;
  /** DESIGN §5: USER/PASS and AUTH in cleartext only if allowed and the peer is loopback. */
  readonly plaintextAuthAllowed: boolean;
  readonly maxErrors: number;
  readonly maxAuthFailures: number;
  readonly authFailureDelayMs: number;
  /** RFC 2449 §6.7: "NEVER", or the minimum retention in days; 0 deletes what was retrieved. */
  readonly expire: "NEVER" | number;
};

/** One message of the maildrop as fixed when the session entered TRANSACTION (RFC 1939 §5). */
export type MaildropMessage = {
  readonly uid: number;
  /** Octets as transmitted (CRLF line ends, no byte-stuffing). */
  readonly size: number;
  /** Octets as stored; equal to `size` exactly when the stored form is already all CRLF. */
  readonly storedSize: number;
  readonly bodyHash: string;
  deleted: boolean;
  /** RETR sent it (marks \Seen at QUIT; EXPIRE 0 deletes it). */
  retrieved: boolean;
};

export type Maildrop = {
  readonly mailboxId: number;
  readonly uidValidity: number;
  readonly messages: MaildropMessage[];
};

export type Pending =
  | { readonly kind: "verify"; readonly mechanism: string; readonly username: string }
  | { readonly kind: "scram" }
  | { readonly kind: "login"; readonly mechanism: string; readonly address: string }
  | { readonly kind: "maildrop"; readonly address: string }
  | { readonly kind: "retrieve"; readonly msg: number; readonly top: boolean }
  | { readonly kind: "update" };

export type Pop3State = {
  session: SessionInfo;
  readonly opts: Pop3Options;
  phase: "authorization" | "transaction" | "update";
  /** The name given by USER, waiting for PASS (RFC 1939 §7). */
  user: string | null;
  /** An AUTH exchange in progress: the next line is a SASL response (RFC 5034 §4). */
  sasl: { server: SaslServer; mechanism: string; finalSent: boolean; username: string | null } | null;
  pending: Pending | null;
  maildrop: Maildrop | null;
  errors: number;
  authFailures: number;
  closed: boolean;
};

export type MaildropResult =
  | { readonly ok: true; readonly maildrop: Maildrop }
  | { readonly ok: false; readonly reason: "in-use" | "no-mailbox" | "error" };

export type Pop3Input =
  | { readonly type: "connect" }
  /** One line without its CRLF. */
  | { readonly type: "line"; readonly line: string }
  | { readonly type: "line-too-long" }
  | { readonly type: "invalid-utf8" }
  | { readonly type: "verdict"; readonly verdict: Verdict }
  | { readonly type: "provided"; readonly result: unknown }
  | { readonly type: "provide-failed" }
  | { readonly type: "maildrop"; readonly result: MaildropResult }
  /** A retrieve action is done: sent; gone (expunged over IMAP meanwhile); or unreadable now. */
  | { readonly type: "retrieved"; readonly result: "sent" | "gone" | "error" }
  | { readonly type: "updated"; readonly ok: boolean }
  | { readonly type: "tls"; readonly info: TlsInfo }
  | { readonly type: "timeout" }
  /** The server is stopping; the session is between commands. */
  | { readonly type: "shutdown" };

export type Pop3Action =
  | { readonly type: "reply"; readonly text: string }
  | { readonly type: "policy"; readonly event: "pop3.login"; readonly payload: PayloadOf<"pop3.login"> }
  | { readonly type: "provide"; readonly event: "auth.verify"; readonly payload: PayloadOf<"auth.verify"> }
  | { readonly type: "provide"; readonly event: "auth.scram"; readonly payload: PayloadOf<"auth.scram"> }
  /** Lock the account's maildrop (INBOX) and list it; answered with a "maildrop" input. */
  | { readonly type: "openMaildrop"; readonly address: string }
  /**
   * Send message `uid`: first `head` (the +OK line), then the encoded message and ".".
   * Answered with "retrieved"; when the message no longer exists nothing at all is sent.
   */
  | {
      readonly type: "retrieve";
      readonly mailboxId: number;
      readonly uid: number;
      readonly bodyHash: string;
      readonly storedSize: number;
      /** Stored with CRLF everywhere: only byte-stuffing is left to do. */
      readonly canonical: boolean;
      readonly head: string;
      readonly bodyLines: number | null;
    }
  /** The UPDATE state (RFC 1939 §6): one durable write, answered with "updated". */
  | { readonly type: "update"; readonly mailboxId: number; readonly expunge: readonly number[]; readonly seen: readonly number[] }
  | { readonly type: "startTls" }
  /** Wait before the next reply (authentication failure back-off). */
  | { readonly type: "delay"; readonly ms: number }
  /** Fire a notification event (e.g. auth.failed); the connection awaits it before going on. */
  | { readonly type: "notify"; readonly event: "auth.failed"; readonly payload: PayloadOf<"auth.failed"> }
  | { readonly type: "close" };

export type Step = { readonly state: Pop3State; readonly actions: Pop3Action[] };
