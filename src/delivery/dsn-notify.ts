// Who gets a DSN: RFC 3461 §4.1 NOTIFY rules applied to queued recipients, plus the rule that
// a message with the null reverse-path never causes one (RFC 5321 §4.5.5, RFC 3461 §6.2).

/** The three occasions a DSN reports (RFC 3461 §4.1): failure, delay, and success. */
export type DsnKind = "failure" | "delay" | "success";

export type DsnAction = "failed" | "delayed" | "delivered" | "relayed" | "expanded";

export type NotifyFlags = { never: boolean; success: boolean; failure: boolean; delay: boolean };

/**
 * RFC 3461 §4.1: without a NOTIFY parameter the MTA may act as if NOTIFY=FAILURE or
 * NOTIFY=FAILURE,DELAY had been given. We choose FAILURE,DELAY (a sender whose mail waits for
 * hours wants to know); the delay warning itself is still off when the operator sets
 * retry.delayDsnAfterMs to 0.
 */
export const DEFAULT_NOTIFY: Readonly<NotifyFlags> = Object.freeze({
  never: false,
  success: false,
  failure: true,
  delay: true,
});

/**
 * The stored NOTIFY value ("NEVER" or a comma list of SUCCESS, FAILURE, DELAY, as written by
 * the SMTP session) as flags; null or an unreadable value means "not given".
 */
export function notifyFlags(notify: string | null | undefined): NotifyFlags {
  if (notify === null || notify === undefined || notify.trim() === "") return { ...DEFAULT_NOTIFY };
  const items = notify.toUpperCase().split(",").map((s) => s.trim());
  if (items.includes("NEVER")) return { never: true, success: false, failure: false, delay: false };
  const f: NotifyFlags = { never: false, success: false, failure: false, delay: false };
  for (const it of items) {
    if (it === "SUCCESS") f.success = true;
    else if (it === "FAILURE") f.failure = true;
    else if (it === "DELAY") f.delay = true;
    else return { ...DEFAULT_NOTIFY };
  }
  return f;
}

/** RFC 3464 §2.3.3: failed → FAILURE, delayed → DELAY, delivered/relayed/expanded → SUCCESS. */
export function dsnKindOf(action: DsnAction): DsnKind {
  switch (action) {
    case "failed":
      return "failure";
    case "delayed":
      return "delay";
    case "delivered":
    case "relayed":
    case "expanded":
      return "success";
  }
}

/** Whether a recipient with this NOTIFY value asked for (or defaults to) a DSN of `kind`. */
export function wantsDsn(kind: DsnKind, notify: string | null | undefined): boolean {
  const f = notifyFlags(notify);
  if (f.never) return false; // RFC 3461 §4.1: NEVER — no DSN at all, whatever happens
  switch (kind) {
    case "failure":
      return f.failure;
    case "delay":
      return f.delay;
    case "success":
      return f.success; // RFC 3461 §4.1: success DSNs only on explicit request
  }
}

/**
 * The recipients that go into a DSN of `kind`. None at all when the message had the null
 * reverse-path ("" as queued): RFC 5321 §4.5.5 — notifications are sent with the null
 * reverse-path and must never cause notifications themselves, so a bounce never bounces.
 */
export function dsnRecipientsFor<T extends { notify: string | null }>(
  kind: DsnKind,
  recipients: readonly T[],
  mailFrom: string,
): T[] {
  if (mailFrom === "" || mailFrom === "<>") return [];
  return recipients.filter((r) => wantsDsn(kind, r.notify));
}
