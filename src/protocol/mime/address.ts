// RFC 5322 §3.4 address lists (with group syntax and obsolete routes) turned into IMAP
// envelope addresses (RFC 3501 §7.4.2). Lenient: garbage yields fewer addresses, never a throw.

import { readQuoted, skipComment } from "./params.ts";
import type { Address } from "./types.ts";
import { decodeWords } from "./words.ts";

type Kind = "atom" | "quoted" | "comment" | "literal" | "special";
type Token = { kind: Kind; text: string; raw: string; space: boolean };

const SPECIALS = "<>@,;:";

function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** RFC 5322 §3.2: atoms (dots included, as in dot-atom), quoted strings, comments, literals. */
function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let space = false;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (isWsp(c)) {
      space = true;
      i++;
    } else if (ch === "(") {
      const end = skipComment(s, i);
      const body = s.slice(i + 1, s[end - 1] === ")" ? end - 1 : end);
      out.push({ kind: "comment", text: unescape(body), raw: "", space });
      space = true;
      i = end;
    } else if (ch === '"') {
      const q = readQuoted(s, i);
      out.push({ kind: "quoted", text: q.text, raw: s.slice(i, q.next), space });
      space = false;
      i = q.next;
    } else if (ch === "[") {
      let j = i + 1;
      while (j < s.length && s[j] !== "]") j += s[j] === "\\" ? 2 : 1;
      j = Math.min(j + 1, s.length);
      out.push({ kind: "literal", text: s.slice(i, j), raw: s.slice(i, j), space });
      space = false;
      i = j;
    } else if (SPECIALS.includes(ch)) {
      out.push({ kind: "special", text: ch, raw: ch, space });
      space = false;
      i++;
    } else if (ch === ")") {
      i++; // stray comment close
    } else {
      let j = i + 1;
      while (j < s.length) {
        const d = s.charCodeAt(j);
        if (isWsp(d) || SPECIALS.includes(s[j]!) || d === 0x28 || d === 0x22 || d === 0x5b) break;
        j++;
      }
      out.push({ kind: "atom", text: s.slice(i, j), raw: s.slice(i, j), space });
      space = false;
      i = j;
    }
  }
  return out;
}

function unescape(s: string): string {
  return s.indexOf("\\") === -1 ? s : s.replace(/\\(.)/gs, "$1");
}

function isSpecial(t: Token, ch: string): boolean {
  return t.kind === "special" && t.text === ch;
}

/** RFC 5322 §3.2.5 phrase: words joined by single spaces, then RFC 2047 words decoded. */
function phrase(tokens: readonly Token[]): string | null {
  let out = "";
  for (const t of tokens) {
    if (t.kind === "comment" || isSpecial(t, "<") || isSpecial(t, ">")) continue;
    if (out !== "" && t.space) out += " ";
    out += t.text;
  }
  const decoded = decodeWords(out).trim();
  return decoded === "" ? null : decoded;
}

function firstComment(tokens: readonly Token[]): string | null {
  for (const t of tokens) {
    if (t.kind === "comment") {
      const c = decodeWords(t.text).trim();
      if (c !== "") return c;
    }
  }
  return null;
}

/** RFC 5322 §3.4.1 addr-spec: local-part "@" domain, kept as written minus CFWS. */
function addrSpec(tokens: readonly Token[]): { mailbox: string; host: string } {
  let at = -1;
  for (let k = tokens.length - 1; k >= 0; k--) {
    if (isSpecial(tokens[k]!, "@")) {
      at = k;
      break;
    }
  }
  const join = (ts: readonly Token[]) => ts.map((t) => (t.kind === "comment" ? "" : t.raw)).join("");
  if (at === -1) return { mailbox: join(tokens), host: "" };
  return { mailbox: join(tokens.slice(0, at)), host: join(tokens.slice(at + 1)) };
}

function mailbox(tokens: Token[]): Address | null {
  if (tokens.every((t) => t.kind === "comment")) return null;
  const lt = tokens.findIndex((t) => isSpecial(t, "<"));
  if (lt === -1) {
    // Legacy "user@host (Real Name)": the comment stands in for the display name.
    const spec = addrSpec(tokens);
    return { name: firstComment(tokens), ...spec };
  }
  let gt = tokens.findIndex((t, k) => k > lt && isSpecial(t, ">"));
  if (gt === -1) gt = tokens.length;
  let inner = tokens.slice(lt + 1, gt);
  // RFC 5322 §4.4 obs-route "@a,@b:" before the addr-spec is dropped.
  const colon = inner.findLastIndex((t) => isSpecial(t, ":"));
  if (colon !== -1) inner = inner.slice(colon + 1);
  const name = phrase(tokens.slice(0, lt)) ?? firstComment(tokens.slice(gt));
  return { name, ...addrSpec(inner) };
}

/** An address-list field as IMAP envelope addresses; null when it holds no address. */
export function parseAddressList(value: string | null): Address[] | null {
  if (value === null) return null;
  const out: Address[] = [];
  let item: Token[] = [];
  let angle = 0;
  let hasAddr = false; // the current item already has "<" or "@", so ":" cannot start a group
  let inGroup = false;
  const flush = () => {
    const a = mailbox(item);
    if (a) out.push(a);
    item = [];
    hasAddr = false;
    angle = 0;
  };
  for (const t of tokenize(value)) {
    if (t.kind === "special") {
      if (t.text === "<") {
        angle++;
        hasAddr = true;
      } else if (t.text === ">") {
        angle = Math.max(0, angle - 1);
      } else if (t.text === "@") {
        hasAddr = true;
      } else if (angle === 0 && t.text === ",") {
        flush();
        continue;
      } else if (angle === 0 && t.text === ":" && !hasAddr && !inGroup) {
        // RFC 5322 §3.4 group: display-name ":" [group-list] ";" — start marker has host NIL.
        out.push({ name: null, mailbox: phrase(item) ?? "", host: null });
        item = [];
        inGroup = true;
        continue;
      } else if (angle === 0 && t.text === ";") {
        flush();
        if (inGroup) out.push({ name: null, mailbox: null, host: null });
        inGroup = false;
        continue;
      }
    }
    item.push(t);
  }
  flush();
  if (inGroup) out.push({ name: null, mailbox: null, host: null });
  return out.length === 0 ? null : out;
}
