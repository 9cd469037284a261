// The one catalogue of events (DESIGN §3): every event's name, kind and payload type.
// Payloads are readonly, serialisable data — never sockets or functions.

import type { Verdict } from "./verdict.ts";

export type EventKind = "policy" | "provider" | "notification";

/** Who is on the other end; carried by every session event. */
export type SessionInfo = {
  readonly id: string;
  readonly protocol: "smtp" | "lmtp" | "imap" | "pop3";
  /** The listener's role: mx (port 25), submission (587), submissions (465), lmtp. */
  readonly role: ListenerRole;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly tls: TlsInfo | null;
  readonly helo: string | null;
  readonly authUser: string | null;
};

export type ListenerRole = "mx" | "submission" | "submissions" | "lmtp" | "imap" | "imaps" | "pop3" | "pop3s";
export type TlsInfo = { readonly version: string; readonly cipher: string; readonly bits?: number };

export type EnvelopeInfo = {
  readonly transactionId: string;
  /** '' for the null reverse-path <>. */
  readonly mailFrom: string;
  readonly mailParams: Readonly<Record<string, string | true>>;
  readonly recipients: readonly RecipientInfo[];
};

export type RecipientInfo = {
  readonly address: string;
  readonly orcpt: string | null;
  readonly notify: string | null;
  readonly resolution: Resolution;
};

export type Resolution =
  | {
      readonly kind: "local";
      readonly accounts: readonly { readonly id: number; readonly address: string }[];
      /** Alias destinations outside our domains. */
      readonly remote: readonly string[];
    }
  | { readonly kind: "remote" }
  | { readonly kind: "unknown" };

export type DeliveryTarget = { readonly accountId: number; readonly mailbox: string };

export type DeliveryResult = {
  /** One entry per envelope recipient, in envelope order (LMTP replies per recipient, RFC 2033 §4.2). */
  readonly recipients: readonly { readonly address: string; readonly ok: boolean; readonly reply: string }[];
  readonly queueId: string;
  /** Mailbox entries created for local recipients (for IMAP notifications). */
  readonly stored: readonly { readonly mailboxId: number; readonly uid: number }[];
  /** Addresses put in the outbound queue. */
  readonly queued: readonly string[];
};

export type AuthCheck = { readonly ok: true; readonly address: string } | { readonly ok: false };

/** How one batch of queued recipients leaves (answered by the `delivery.route` provider). */
export type Route =
  /** Direct delivery to the recipient domain's MX hosts (RFC 5321 §5.1). */
  | { readonly kind: "mx" }
  /** Through a smarthost. */
  | {
      readonly kind: "relay";
      readonly host: string;
      readonly port: number;
      readonly tls: "implicit" | "starttls";
      readonly auth?: { readonly user: string; readonly pass: string };
    };

/** One recipient's outcome of one delivery attempt. */
export type AttemptOutcome = {
  readonly address: string;
  readonly outcome: "delivered" | "deferred" | "failed";
  /** The remote reply ("250 2.0.0 Ok"), or our own diagnostic when no reply was had. */
  readonly reply: string;
  /** RFC 3463 status, e.g. "5.1.1". */
  readonly status: string;
  readonly host: string | null;
};

/** Event name → payload, result and kind. */
export type EventMap = {
  "smtp.connect": { payload: { readonly session: SessionInfo }; kind: "policy" };
  "smtp.helo": {
    payload: { readonly session: SessionInfo; readonly verb: string; readonly domain: string };
    kind: "policy";
  };
  "auth.verify": {
    payload: {
      readonly session: SessionInfo;
      readonly mechanism: string;
      readonly username: string;
      readonly password: string;
    };
    result: AuthCheck;
    kind: "provider";
  };
  "auth.scram": {
    payload: { readonly session: SessionInfo; readonly username: string };
    result: {
      /** The account's canonical address (the client may have typed another case). */
      readonly address: string;
      readonly iterations: number;
      readonly salt: Uint8Array;
      readonly storedKey: Uint8Array;
      readonly serverKey: Uint8Array;
    } | null;
    kind: "provider";
  };
  "smtp.auth": {
    payload: { readonly session: SessionInfo; readonly mechanism: string; readonly username: string };
    kind: "policy";
  };
  "smtp.mail": {
    payload: {
      readonly session: SessionInfo;
      readonly transactionId: string;
      readonly from: string;
      readonly params: Readonly<Record<string, string | true>>;
    };
    kind: "policy";
  };
  "address.resolve": {
    payload: { readonly session: SessionInfo; readonly address: string };
    result: Resolution;
    kind: "provider";
  };
  "smtp.rcpt": {
    payload: {
      readonly session: SessionInfo;
      readonly transactionId: string;
      readonly from: string;
      readonly recipient: RecipientInfo;
    };
    kind: "policy";
  };
  "smtp.data": {
    payload: {
      readonly session: SessionInfo;
      readonly envelope: EnvelopeInfo;
      /** The message as it will be stored, trace headers included. */
      readonly message: Uint8Array;
    };
    kind: "policy";
  };
  "message.deliver": {
    payload: {
      readonly session: SessionInfo;
      readonly envelope: EnvelopeInfo;
      readonly message: Uint8Array;
      /** The decisive smtp.data verdict: quarantine files local copies into Junk. */
      readonly quarantine: boolean;
    };
    result: DeliveryResult;
    kind: "provider";
  };
  "message.delivered": {
    payload: {
      readonly transactionId: string;
      readonly targets: readonly { readonly mailboxId: number; readonly uid: number }[];
    };
    kind: "notification";
  };
  "message.queued": {
    payload: { readonly transactionId: string; readonly recipients: readonly string[] };
    kind: "notification";
  };
  /** Which way a batch of recipients (one message, one domain) leaves; default handler: config relay or MX. */
  "delivery.route": {
    payload: {
      readonly queueId: string;
      readonly mailFrom: string;
      readonly domain: string;
      readonly recipients: readonly string[];
      readonly authUser: string | null;
    };
    result: Route;
    kind: "provider";
  };
  /** After every attempt at one message for one domain, with each recipient's outcome. */
  "delivery.attempt": {
    payload: { readonly queueId: string; readonly domain: string; readonly attempt: number; readonly outcomes: readonly AttemptOutcome[] };
    kind: "notification";
  };
  "delivery.delivered": {
    payload: { readonly queueId: string; readonly mailFrom: string; readonly outcome: AttemptOutcome };
    kind: "notification";
  };
  "delivery.deferred": {
    payload: { readonly queueId: string; readonly mailFrom: string; readonly outcome: AttemptOutcome; readonly attempts: number; readonly nextAttemptAt: number };
    kind: "notification";
  };
  /** A recipient failed for good (5xx or lifetime expired); `dsn` says whether a DSN was queued. */
  "delivery.bounced": {
    payload: { readonly queueId: string; readonly mailFrom: string; readonly outcome: AttemptOutcome; readonly dsn: boolean };
    kind: "notification";
  };
  "smtp.disconnect": { payload: { readonly session: SessionInfo }; kind: "notification" };
  /**
   * Credentials were refused (SMTP AUTH, IMAP LOGIN/AUTHENTICATE, POP3 PASS/AUTH), fired before
   * the failure reply, so a counter (the rate-limit handler) is up to date when the client
   * tries again. `username` is what the client sent ('' when the exchange ended before one).
   */
  "auth.failed": {
    payload: { readonly session: SessionInfo; readonly mechanism: string; readonly username: string };
    kind: "notification";
  };
  /** After IMAP credentials were verified (LOGIN or AUTHENTICATE): a policy may still refuse. */
  "imap.login": {
    payload: { readonly session: SessionInfo; readonly mechanism: string; readonly username: string };
    kind: "policy";
  };
  /** After POP3 credentials were verified (USER/PASS or AUTH): a policy may still refuse. */
  "pop3.login": {
    payload: { readonly session: SessionInfo; readonly mechanism: string; readonly username: string };
    kind: "policy";
  };
  /** A mailbox changed (delivery, APPEND, STORE, EXPUNGE, MOVE …), after the change is durable. */
  "mailbox.changed": {
    payload: { readonly mailboxId: number; readonly kind: "exists" | "expunge" | "flags" | "deleted"; readonly uids: readonly number[]; readonly modseq: number };
    kind: "notification";
  };
};

export type EventName = keyof EventMap;
export type PayloadOf<E extends EventName> = EventMap[E]["payload"];
/** What a handler returns: a provider's data, a policy's verdict, nothing for a notification. */
export type ResultOf<E extends EventName> = EventMap[E] extends { result: infer R } ? R : EventMap[E]["kind"] extends "notification" ? void : Verdict;
export type PolicyEvent = { [E in EventName]: EventMap[E]["kind"] extends "policy" ? E : never }[EventName];
export type ProviderEvent = { [E in EventName]: EventMap[E]["kind"] extends "provider" ? E : never }[EventName];
export type NotificationEvent = {
  [E in EventName]: EventMap[E]["kind"] extends "notification" ? E : never;
}[EventName];

/** The runtime copy of each event's kind; the bus checks registrations against it. */
export const EVENT_KINDS: { readonly [E in EventName]: EventMap[E]["kind"] } = {
  "smtp.connect": "policy",
  "smtp.helo": "policy",
  "auth.verify": "provider",
  "auth.scram": "provider",
  "smtp.auth": "policy",
  "smtp.mail": "policy",
  "address.resolve": "provider",
  "smtp.rcpt": "policy",
  "smtp.data": "policy",
  "message.deliver": "provider",
  "message.delivered": "notification",
  "message.queued": "notification",
  "smtp.disconnect": "notification",
  "auth.failed": "notification",
  "delivery.route": "provider",
  "delivery.attempt": "notification",
  "delivery.delivered": "notification",
  "delivery.deferred": "notification",
  "delivery.bounced": "notification",
  "imap.login": "policy",
  "pop3.login": "policy",
  "mailbox.changed": "notification",
};
