// rspamd's HTTP protocol, `POST /checkv2` (https://rspamd.com/doc/architecture/protocol.html):
// the message is the request body, the SMTP envelope travels in request headers (IP, Helo,
// From, Rcpt, User, Queue-Id, MTA-Name, TLS-*), and the answer is a JSON object with score,
// required_score, action, symbols, an optional rewritten subject and an optional `milter`
// block of header changes. Building the headers and reading the reply are pure; `rspamdCheck`
// is the only I/O.

import * as v from "valibot";
import type { HeaderEdits, HeaderField } from "../events/verdict.ts";
import { cleanSymbol, SPAM_ACTIONS, type SpamResult } from "./spam-action.ts";

export type RspamdEnvelope = {
  readonly ip: string;
  readonly helo: string | null;
  /** SMTP MAIL FROM; '' for the null reverse-path. */
  readonly from: string;
  readonly rcpts: readonly string[];
  readonly user: string | null;
  readonly queueId: string;
  /** Our hostname: rspamd's MTA-Name, used when it reads our Received: field. */
  readonly mtaName: string;
  readonly tls: { readonly version: string; readonly cipher: string } | null;
};

/** Printable US-ASCII only: a header value must never carry CR, LF or other controls. */
function headerValue(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "").slice(0, 998);
}

/**
 * Request headers per the protocol page, one `Rcpt` per recipient. (Bun's fetch joins
 * repeated names with ", " on the wire; rspamd splits a Rcpt list at commas, so both forms
 * reach it as separate recipients.)
 */
export function rspamdHeaders(e: RspamdEnvelope): [string, string][] {
  const h: [string, string][] = [["IP", headerValue(e.ip)]];
  if (e.helo) h.push(["Helo", headerValue(e.helo)]);
  h.push(["From", e.from === "" ? "<>" : headerValue(e.from)]);
  for (const r of e.rcpts) h.push(["Rcpt", headerValue(r)]);
  if (e.user) h.push(["User", headerValue(e.user)]);
  h.push(["Queue-Id", headerValue(e.queueId)]);
  h.push(["MTA-Name", headerValue(e.mtaName)]);
  if (e.tls) {
    h.push(["TLS-Version", headerValue(e.tls.version)]);
    h.push(["TLS-Cipher", headerValue(e.tls.cipher)]);
  }
  return h;
}

const MilterHeaderValue = v.union([v.string(), v.looseObject({ value: v.string() })]);

const Reply = v.looseObject({
  score: v.number(),
  required_score: v.number(),
  action: v.string(),
  symbols: v.optional(v.record(v.string(), v.unknown()), {}),
  subject: v.optional(v.string()),
  messages: v.optional(v.looseObject({ smtp_message: v.optional(v.string()) })),
  milter: v.optional(
    v.looseObject({
      add_headers: v.optional(v.record(v.string(), v.union([MilterHeaderValue, v.array(MilterHeaderValue)]))),
      remove_headers: v.optional(v.record(v.string(), v.unknown())),
    }),
  ),
});

/** RFC 5322 §3.6.8 field-name: printable US-ASCII except ":". */
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]{1,76}$/;

/** rspamd's milter block (milter_headers module) as our header edits; bad names are dropped. */
function milterEdits(m: v.InferOutput<typeof Reply>["milter"]): HeaderEdits | undefined {
  if (!m) return undefined;
  const add: HeaderField[] = [];
  for (const [name, val] of Object.entries(m.add_headers ?? {}).slice(0, 50)) {
    if (!FIELD_NAME.test(name)) continue;
    for (const one of Array.isArray(val) ? val : [val]) {
      add.push({ name, value: (typeof one === "string" ? one : one.value).slice(0, 4000) });
    }
  }
  const remove = Object.keys(m.remove_headers ?? {})
    .filter((n) => FIELD_NAME.test(n))
    .slice(0, 50)
    .map((name) => ({ name }));
  return add.length + remove.length > 0 ? { add, remove } : undefined;
}

/** Reads a /checkv2 JSON reply; throws on anything that is not one (the caller's onError applies). */
export function parseRspamdReply(json: unknown): SpamResult & { smtpMessage?: string } {
  const r = v.parse(Reply, json);
  const action = (SPAM_ACTIONS as readonly string[]).includes(r.action) ? (r.action as SpamResult["action"]) : null;
  if (!action) throw new Error(`rspamd answered an unknown action ${JSON.stringify(r.action.slice(0, 40))}`);
  const edits = milterEdits(r.milter);
  return {
    scanner: "rspamd",
    score: r.score,
    required: r.required_score,
    action,
    symbols: Object.keys(r.symbols).map(cleanSymbol).sort(),
    ...(r.subject !== undefined ? { subject: r.subject.replace(/[\r\n]+/g, " ").slice(0, 998) } : {}),
    ...(edits ? { edits } : {}),
    ...(r.messages?.smtp_message ? { smtpMessage: r.messages.smtp_message } : {}),
  };
}

/** At most `max` bytes of a response body; more is an error, never buffered. */
export async function readCapped(res: Response, max: number): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return "";
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw new Error(`reply larger than ${max} bytes`);
    }
    parts.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(parts));
}

/** POSTs one message to `<url>/checkv2`; `signal` bounds the whole exchange. */
export async function rspamdCheck(
  url: string,
  message: Uint8Array,
  envelope: RspamdEnvelope,
  signal: AbortSignal,
  maxReplyBytes = 1 << 20,
): Promise<SpamResult & { smtpMessage?: string }> {
  const res = await fetch(`${url.replace(/\/+$/, "")}/checkv2`, {
    method: "POST",
    headers: rspamdHeaders(envelope),
    // A view, not a copy: the message is already in memory and capped by the caller.
    body: message as Uint8Array<ArrayBuffer>,
    signal,
  });
  const text = await readCapped(res, maxReplyBytes);
  if (!res.ok) throw new Error(`rspamd answered HTTP ${res.status}`);
  return parseRspamdReply(JSON.parse(text));
}
