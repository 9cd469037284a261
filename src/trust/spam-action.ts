// What a spam scanner's answer means for the SMTP transaction, shared by the rspamd and
// SpamAssassin handlers. The vocabulary is rspamd's actions ("Actions and scores",
// https://rspamd.com/doc/faq.html#what-are-rspamd-actions); SpamAssassin's score/threshold
// answer is mapped onto the same actions (see spamd-client.ts), so both handlers share one
// action table, one set of X-Spam-* fields and one way to remove forged ones.

import * as v from "valibot";
import type { HeaderEdits, HeaderField } from "../events/verdict.ts";
import { verdict, type Verdict } from "../events/verdict.ts";

/** rspamd's actions, mildest first; `discard` and `quarantine` exist only as forced actions. */
export const SPAM_ACTIONS = ["no action", "greylist", "add header", "rewrite subject", "soft reject", "reject", "quarantine", "discard"] as const;
export type SpamAction = (typeof SPAM_ACTIONS)[number];

/**
 * What we do for an action: `pass` delivers to INBOX; `tag` delivers to INBOX marked
 * (X-Spam-Flag: YES, a rewritten Subject where the scanner gave one); `junk` files into the
 * recipient's Junk mailbox; `tempfail` answers 451 4.7.1; `reject` 550 5.7.1; `discard` drops.
 */
export const OUTCOMES = ["pass", "tag", "junk", "tempfail", "reject", "discard"] as const;
export type Outcome = (typeof OUTCOMES)[number];

const outcome = (dflt: Outcome) => v.optional(v.picklist(OUTCOMES), dflt);

/** The action table; every entry can be overridden on its own. */
export const ActionMap = v.object({
  "no action": outcome("pass"),
  /** rspamd asks for a greylist: a temporary failure (RFC 6647). */
  greylist: outcome("tempfail"),
  /** Spam by score: into Junk by default; `tag` keeps it in INBOX with headers. */
  "add header": outcome("junk"),
  "rewrite subject": outcome("junk"),
  "soft reject": outcome("tempfail"),
  reject: outcome("reject"),
  quarantine: outcome("junk"),
  discard: outcome("discard"),
});
export type ActionMap = v.InferOutput<typeof ActionMap>;

/** When X-Spam-* fields are added: on every scanned message, only on flagged ones, or never. */
export const SpamHeadersMode = v.optional(v.picklist(["always", "flagged", "never"]), "flagged");

/** What one scanner said about one message, scanner-neutral. */
export type SpamResult = {
  readonly scanner: string;
  readonly score: number;
  readonly required: number;
  readonly action: SpamAction;
  readonly symbols: readonly string[];
  /** The Subject the scanner wants for "rewrite subject" (rspamd's `subject`). */
  readonly subject?: string;
  /** Extra edits the scanner asked for (rspamd's milter block), already validated. */
  readonly edits?: HeaderEdits;
};

/** The fields we add; any incoming copy of them is a forgery and is removed. */
export const SPAM_FIELDS = ["X-Spam-Flag", "X-Spam-Status", "X-Spam-Score", "X-Spam-Action", "X-Spam-Symbols", "X-Spam-Level"] as const;

/** Removal edits for incoming X-Spam-* fields, which only our scanners may set. */
export function forgedSpamFields(): { name: string }[] {
  return SPAM_FIELDS.map((name) => ({ name }));
}

/** A symbol name as it may appear in a header or a trace: RFC 5322 atext-ish, capped. */
export function cleanSymbol(s: string): string {
  return s.replace(/[^A-Za-z0-9_.+\-]/g, "_").slice(0, 64);
}

/** Comma-separated list folded at 78 columns (RFC 5322 §2.2.3: CRLF + WSP continues a field). */
export function foldList(items: readonly string[], firstLineUsed: number): string {
  let out = "";
  let col = firstLineUsed;
  items.forEach((item, i) => {
    const piece = i === 0 ? item : `, ${item}`;
    if (i > 0 && col + piece.length > 78) {
      out += ",\r\n\t" + item;
      col = 8 + item.length;
    } else {
      out += piece;
      col += piece.length;
    }
  });
  return out;
}

export function spamFields(r: SpamResult, flagged: boolean): HeaderField[] {
  const score = r.score.toFixed(2);
  const symbols = r.symbols.slice(0, 100);
  const fields: HeaderField[] = [
    { name: "X-Spam-Flag", value: flagged ? "YES" : "NO" },
    { name: "X-Spam-Score", value: score },
    {
      name: "X-Spam-Status",
      value: `${flagged ? "Yes" : "No"}, score=${score} required=${r.required.toFixed(2)} action=${r.action.replace(/ /g, "_")} scanner=${r.scanner}`,
    },
  ];
  if (symbols.length > 0) fields.push({ name: "X-Spam-Symbols", value: foldList(symbols, "X-Spam-Symbols: ".length) });
  return fields;
}

/** One line for the trace: scanner, action, score and the first symbols. */
export function spamNote(r: SpamResult): string {
  const syms = r.symbols.slice(0, 20).join(",");
  const more = r.symbols.length > 20 ? `,+${r.symbols.length - 20}` : "";
  return `${r.scanner}: ${r.action} score=${r.score.toFixed(2)}/${r.required.toFixed(2)}${syms ? ` symbols=${syms}${more}` : ""}`;
}

export type SpamPolicy = {
  readonly actions: ActionMap;
  readonly headers: "always" | "flagged" | "never";
  readonly removeForged: boolean;
};

/** The verdict for a scanner's answer under a policy. */
export function spamVerdict(r: SpamResult, policy: SpamPolicy): Verdict {
  const what = policy.actions[r.action];
  const note = spamNote(r);
  const flagged = r.action !== "no action";
  const add: HeaderField[] = [];
  const remove: { name: string; pattern?: string }[] = policy.removeForged ? forgedSpamFields() : [];
  // `tag` means "deliver marked", so it adds the fields whatever the headers mode says.
  if (policy.headers === "always" || (policy.headers === "flagged" && flagged) || what === "tag") add.push(...spamFields(r, flagged));
  if (r.edits) {
    remove.push(...(r.edits.remove ?? []));
    add.push(...(r.edits.add ?? []));
  }
  // rspamd's "rewrite subject": the new Subject replaces the old one when the mail is delivered.
  if (r.action === "rewrite subject" && r.subject !== undefined && (what === "tag" || what === "junk")) {
    remove.push({ name: "Subject" });
    add.push({ name: "Subject", value: r.subject });
  }
  const edits: HeaderEdits | undefined = add.length + remove.length > 0 ? { add, remove } : undefined;
  switch (what) {
    case "reject":
      // RFC 3463 X.7.1: delivery not authorized, message refused (by local policy).
      return verdict.reject(550, "5.7.1", `Message rejected as spam (${r.scanner} score ${r.score.toFixed(2)})`);
    case "tempfail":
      return verdict.tempfail(451, "4.7.1", `Message deferred by the content filter, try again later (${r.scanner})`);
    case "discard":
      return verdict.discard(note);
    case "junk":
      return verdict.quarantine(note, edits);
    case "tag":
    case "pass":
      return verdict.continue(note, edits);
  }
}

/** Scanner unreachable, timed out or answering nonsense: 451 4.3.0 or an unscanned pass. */
export function scannerFailure(scanner: string, onError: "tempfail" | "accept", why: string, removeForged: boolean): Verdict {
  if (onError === "accept") {
    return verdict.continue(`${scanner}: not scanned (${why}); accepted per onError`, removeForged ? { remove: forgedSpamFields() } : undefined);
  }
  return verdict.tempfail(451, "4.3.0", `Content scanner unavailable, try again later (${scanner})`);
}

/** A short, single-line description of a thrown error for notes and logs. */
export function describeError(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return "timed out";
  const text = e?.code ?? e?.message ?? String(err);
  return text.replace(/[\r\n]+/g, " ").slice(0, 120);
}

/**
 * A reject/tempfail verdict with the scanner's own reply text, made safe for one SMTP reply
 * line (RFC 5321 §4.2: printable text; no CR/LF that could end the reply early).
 */
export function withReplyText(vd: Verdict, text: string): Verdict {
  if (vd.kind !== "reject" && vd.kind !== "tempfail") return vd;
  const clean = text.replace(/[^\x20-\x7e]+/g, " ").trim().slice(0, 200);
  return clean ? { ...vd, reply: { ...vd.reply, text: clean } } : vd;
}
