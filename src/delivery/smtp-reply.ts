// SMTP replies as the delivery code sees them: code, RFC 3463 enhanced status, text.
// Parsing only; the client (smtp-client.ts) and the attempt logic share it.

export type SmtpReply = {
  /** RFC 5321 §4.2 three-digit reply code. */
  readonly code: number;
  /** RFC 3463 / RFC 2034 enhanced status code ("5.1.1"), when the server sent one. */
  readonly enhanced: string | null;
  /** The whole reply, continuation lines joined with "\n" ("550 5.1.1 No such user"). */
  readonly text: string;
};

const ENHANCED = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})(?=\s|$)/;

/** Parses a reply as nodemailer hands it over (lines joined by "\n"); null when not a reply. */
export function parseReply(raw: string | false | null | undefined): SmtpReply | null {
  if (!raw) return null;
  const text = raw.replace(/\r/g, "").trim();
  const m = /^(\d{3})(?:[ -]|$)/.exec(text);
  if (!m) return null;
  const code = Number(m[1]);
  const e = ENHANCED.exec(text);
  // RFC 3463 §2: the class digit of the enhanced code must agree with the reply class.
  const enhanced = e && e[1][0] === String(code)[0] ? e[1] : null;
  return { code, enhanced, text };
}

/** The status for a DSN or the queue: the server's enhanced code, else one derived from the class. */
export function replyStatus(r: SmtpReply, fallback4 = "4.0.0", fallback5 = "5.0.0"): string {
  if (r.enhanced) return r.enhanced;
  if (r.code >= 500) return fallback5;
  if (r.code >= 400) return fallback4;
  return "2.0.0";
}

/** One line for logs and the queue (multi-line replies folded). */
export function replyLine(r: SmtpReply): string {
  return r.text.replace(/\n\d{3}[ -]?/g, " ").replace(/\n/g, " ");
}
