// Types of the sans-I/O SMTP/LMTP session (DESIGN §1): the state, the inputs the socket
// layer feeds in, and the actions (data) it carries out. No I/O happens here.

import type { EnvelopeInfo, ListenerRole, PolicyEvent, ProviderEvent, PayloadOf, RecipientInfo, SessionInfo, TlsInfo } from "../../events/catalog.ts";
import type { SaslServer } from "../sasl/mod.ts";
import type { SmtpReply } from "./reply.ts";
import type { MailParams } from "./params.ts";

export type SessionOptions = {
  readonly hostname: string;
  readonly role: ListenerRole;
  /** STARTTLS can be offered (a certificate exists and the listener is not implicit TLS). */
  readonly startTlsAvailable: boolean;
  /** DESIGN §5: AUTH/PLAIN over cleartext only if allowed and the peer is loopback. */
  readonly plaintextAuthAllowed: boolean;
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  readonly maxHeaderBytes: number;
  readonly maxErrors: number;
  readonly maxAuthFailures: number;
  readonly authFailureDelayMs: number;
  readonly enforceSender: boolean;
};

export type Transaction = {
  readonly id: string;
  readonly from: string;
  readonly fromSmtputf8: boolean;
  readonly params: MailParams;
  readonly recipients: RecipientInfo[];
  /** "bdat" once a BDAT chunk arrived: DATA is then refused (RFC 3030 §2). */
  body: "none" | "bdat";
  /** BDAT failed (too big): later chunks are read and discarded until LAST. */
  failed: SmtpReply | null;
};

/** What the session waits for after emitting an event. */
export type Pending =
  | { readonly kind: "connect" }
  | { readonly kind: "helo"; readonly verb: "HELO" | "EHLO" | "LHLO"; readonly domain: string }
  | { readonly kind: "mail-sender"; readonly from: string; readonly smtputf8: boolean; readonly params: MailParams }
  | { readonly kind: "mail"; readonly from: string; readonly smtputf8: boolean; readonly params: MailParams }
  | { readonly kind: "rcpt-resolve"; readonly address: string; readonly orcpt: string | null; readonly notify: string | null }
  | { readonly kind: "rcpt"; readonly recipient: RecipientInfo }
  | { readonly kind: "auth-verify" }
  | { readonly kind: "auth-scram" }
  | { readonly kind: "auth-policy"; readonly username: string }
  | { readonly kind: "data-policy"; readonly message: Uint8Array }
  | { readonly kind: "deliver"; readonly message: Uint8Array };

export type SmtpState = {
  session: SessionInfo;
  readonly opts: SessionOptions;
  bannerSent: boolean;
  greeted: "none" | "HELO" | "EHLO" | "LHLO";
  tx: Transaction | null;
  pending: Pending | null;
  /** An AUTH exchange in progress: the next line is a SASL response, not a command. */
  sasl: { server: SaslServer; mechanism: string; finalSent: boolean; username: string | null } | null;
  errors: number;
  authFailures: number;
  closed: boolean;
};

export type SmtpInput =
  | { readonly type: "connect" }
  /** One line without its CRLF; `early` when it arrived before our banner (RFC 5321 §4.3.1). */
  | { readonly type: "line"; readonly line: string; readonly early?: boolean }
  | { readonly type: "line-too-long" }
  | { readonly type: "invalid-utf8" }
  | { readonly type: "data"; readonly body: Uint8Array; readonly error: null | "too-big" | "bare-cr-lf" | "line-too-long"; readonly receivedAt: number }
  | { readonly type: "chunk"; readonly body: Uint8Array | null; readonly tooBig: boolean; readonly last: boolean; readonly size: number; readonly receivedAt: number }
  | { readonly type: "verdict"; readonly verdict: import("../../events/verdict.ts").Verdict }
  | { readonly type: "provided"; readonly result: unknown }
  | { readonly type: "provide-failed" }
  | { readonly type: "tls"; readonly info: TlsInfo }
  | { readonly type: "timeout" }
  /** The server is stopping; the session is between commands. */
  | { readonly type: "shutdown" };

export type SmtpAction =
  | { readonly type: "reply"; readonly text: string }
  | { readonly type: "policy"; readonly event: PolicyEvent; readonly payload: PayloadOf<PolicyEvent> }
  | { readonly type: "provide"; readonly event: ProviderEvent; readonly payload: PayloadOf<ProviderEvent> }
  | { readonly type: "startTls" }
  /** Switch framing to the DATA decoder (RFC 5321 §4.1.1.4). */
  | { readonly type: "readData" }
  /** Read exactly `size` octets for BDAT (RFC 3030 §2); `discard` when they will be refused. */
  | { readonly type: "readChunk"; readonly size: number; readonly last: boolean; readonly discard: boolean; readonly remaining: number }
  /** Wait before the next reply (AUTH failure back-off). */
  | { readonly type: "delay"; readonly ms: number }
  /** Fire a notification event (e.g. auth.failed); the connection awaits it before going on. */
  | { readonly type: "notify"; readonly event: "auth.failed"; readonly payload: PayloadOf<"auth.failed"> }
  /** The transaction ended (delivered, rejected or reset): persist its trace. */
  | { readonly type: "endTransaction"; readonly transactionId: string; readonly messageId: string | null }
  | { readonly type: "close" };

export type Step = { readonly state: SmtpState; readonly actions: SmtpAction[] };

export type { EnvelopeInfo };
