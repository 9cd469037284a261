// Verdicts are data (DESIGN §3): what a policy handler decided, carrying the reply
// the protocol layer will turn into wire text (SMTP code + RFC 3463 enhanced code).

export type Reply = { readonly code: number; readonly enhanced: string; readonly text: string };

/** One header field; `value` may be folded (CRLF + SP/HT), never bare CR or LF. */
export type HeaderField = { readonly name: string; readonly value: string };

/**
 * Changes to the message's header block that a `smtp.data` policy asks for (e.g. an
 * Authentication-Results field, RFC 8601). Edits of every handler in the chain are applied,
 * in chain order, once the chain has decided to deliver: removals first, then additions on top.
 */
export type HeaderEdits = {
  /** Fields to prepend (above our Received:), in this order. */
  readonly add?: readonly HeaderField[];
  /**
   * Existing fields to delete: every field called `name`, or only those whose unfolded value
   * matches `pattern` (a case-insensitive regular expression source; data, so it can be traced).
   */
  readonly remove?: readonly { readonly name: string; readonly pattern?: string }[];
};

export type Verdict =
  /** Pass on to the next handler; `note` goes into the trace (e.g. "spf=pass"). */
  | { readonly kind: "continue"; readonly note?: string; readonly headers?: HeaderEdits }
  | { readonly kind: "accept"; readonly reply?: Reply; readonly headers?: HeaderEdits }
  | { readonly kind: "reject"; readonly reply: Reply }
  | { readonly kind: "tempfail"; readonly reply: Reply }
  | { readonly kind: "disconnect"; readonly reply: Reply }
  /** Deliver, but into the recipient's Junk mailbox instead of INBOX. */
  | { readonly kind: "quarantine"; readonly reason: string; readonly headers?: HeaderEdits }
  /** Accept and drop silently (use sparingly: the sender believes it was delivered). */
  | { readonly kind: "discard"; readonly reason: string };

export type VerdictKind = Verdict["kind"];

/** Constructors so handlers read like policy, not like object literals. */
export const verdict = {
  continue: (note?: string, headers?: HeaderEdits): Verdict => ({ kind: "continue", ...(note ? { note } : {}), ...(headers ? { headers } : {}) }),
  accept: (reply?: Reply): Verdict => (reply ? { kind: "accept", reply } : { kind: "accept" }),
  reject: (code: number, enhanced: string, text: string): Verdict => ({
    kind: "reject",
    reply: { code, enhanced, text },
  }),
  tempfail: (code: number, enhanced: string, text: string): Verdict => ({
    kind: "tempfail",
    reply: { code, enhanced, text },
  }),
  disconnect: (code: number, enhanced: string, text: string): Verdict => ({
    kind: "disconnect",
    reply: { code, enhanced, text },
  }),
  quarantine: (reason: string, headers?: HeaderEdits): Verdict => ({ kind: "quarantine", reason, ...(headers ? { headers } : {}) }),
  discard: (reason: string): Verdict => ({ kind: "discard", reason }),
} as const;

/** DESIGN §3: a handler that throws or times out is a temporary failure, never an accept. */
export const HANDLER_FAILURE: Verdict = verdict.tempfail(
  451,
  "4.3.0",
  "Temporary local problem, please try again later",
);

export function isDecisive(v: Verdict): boolean {
  return v.kind !== "continue";
}
