// Verdicts are data (DESIGN §3): what a policy handler decided, carrying the reply
// the protocol layer will turn into wire text (SMTP code + RFC 3463 enhanced code).

export type Reply = { readonly code: number; readonly enhanced: string; readonly text: string };

export type Verdict =
  | { readonly kind: "continue" }
  | { readonly kind: "accept"; readonly reply?: Reply }
  | { readonly kind: "reject"; readonly reply: Reply }
  | { readonly kind: "tempfail"; readonly reply: Reply }
  | { readonly kind: "disconnect"; readonly reply: Reply }
  /** Deliver, but into the recipient's Junk mailbox instead of INBOX. */
  | { readonly kind: "quarantine"; readonly reason: string }
  /** Accept and drop silently (use sparingly: the sender believes it was delivered). */
  | { readonly kind: "discard"; readonly reason: string };

export type VerdictKind = Verdict["kind"];

/** Constructors so handlers read like policy, not like object literals. */
export const verdict = {
  continue: (): Verdict => ({ kind: "continue" }),
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
  quarantine: (reason: string): Verdict => ({ kind: "quarantine", reason }),
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
