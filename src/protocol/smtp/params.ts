// ESMTP MAIL/RCPT parameters (RFC 5321 §4.1.2 esmtp-param) and xtext (RFC 3461 §4):
// syntax only — whether an extension was advertised is the session's decision.
import type { SmtpReply } from "./reply.ts";

export type BodyType = "7BIT" | "8BITMIME" | "BINARYMIME";
export type MailParams = {
  size: number | null; // RFC 1870
  body: BodyType | null; // RFC 6152, RFC 3030 §3
  smtputf8: boolean; // RFC 6531 §3.4
  ret: "FULL" | "HDRS" | null; // RFC 3461 §4.3
  envid: string | null; // RFC 3461 §4.4, decoded
  auth: string | null; // RFC 4954 §5, decoded ("<>" when unknown)
  requireTls: boolean; // RFC 8689 §4
};
export type Notify = { never: boolean; success: boolean; failure: boolean; delay: boolean };
export type Orcpt = { addrType: string; address: string };
export type RcptParams = {
  notify: Notify | null; // RFC 3461 §4.1
  orcpt: Orcpt | null; // RFC 3461 §4.2, RFC 6533 §3
};
export type ParamsResult<T> = { ok: true; params: T } | { ok: false; reply: SmtpReply };

export const MAX_ENVID = 100; // RFC 3461 §4.4
export const MAX_ORCPT = 500; // RFC 3461 §4.2

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * RFC 3461 §4: xtext = *( xchar / hexchar ), xchar = %d33-126 except "+" and "=",
 * hexchar = "+" two upper-case hex digits. Octets are read as UTF-8; null when malformed.
 */
export function decodeXtext(s: string): string | null {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2b) {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return null;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c >= 33 && c <= 126 && c !== 0x3d) bytes.push(c);
    else return null;
  }
  try {
    return decoder.decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
}

/** Inverse of decodeXtext: every octet outside xchar becomes "+XX" (RFC 3461 §4). */
export function encodeXtext(s: string): string {
  let out = "";
  for (const b of encoder.encode(s)) {
    out += b >= 33 && b <= 126 && b !== 0x2b && b !== 0x3d
      ? String.fromCharCode(b)
      : `+${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

// RFC 3461 §4.2/§4.4: decoded ENVID and rfc822 ORCPT are printable US-ASCII (graphic and SP).
const printable = (s: string): boolean => /^[\x20-\x7e]+$/.test(s);

// RFC 6533 §3 utf-8-addr-xtext / utf-8-addr-unitext: QCHAR (printable ASCII but "+", "=",
// "\"), UTF-8 (unitext, only under SMTPUTF8), or "\x{HEXPOINT}" for everything else.
function decodeUtf8Addr(s: string): string | null {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const cc = s.charCodeAt(i);
    if (c === "\\") {
      const m = /^\\x\{([0-9A-F]{2,6})\}/.exec(s.slice(i));
      if (m === null) return null;
      const hex = m[1];
      const cp = parseInt(hex, 16);
      // HEXPOINT: the shortest form, no leading zero beyond two digits, never a character
      // QCHAR could carry, never a surrogate, at most U+10FFFF. (The ABNF's two-digit list
      // leaves U+0080–U+00FF unencodable; two digits are accepted for them too.)
      if (isQchar(cp) || (hex.length > 2 && (hex[0] === "0" || cp < 0x100))) return null;
      if (cp === 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return null;
      out += String.fromCodePoint(cp);
      i += m[0].length - 1;
    } else if (isQchar(cc)) out += c;
    else if (cc > 0x9f && cc !== 0xfffd) out += c; // UTF8-non-ascii, surrogate pairs pass whole
    else return null;
  }
  return out === "" ? null : out;
}
const isQchar = (cp: number): boolean => cp >= 0x21 && cp <= 0x7e && cp !== 0x2b && cp !== 0x3d && cp !== 0x5c;

type Raw = { key: string; value: string | null };
const bad = (text: string): { ok: false; reply: SmtpReply } => ({
  ok: false,
  reply: { code: 501, enhanced: "5.5.4", text },
});
// RFC 5321 §4.1.1.11 / §4.2.2: 555 "MAIL FROM/RCPT TO parameters not recognized or not implemented".
const unknown = (key: string): { ok: false; reply: SmtpReply } => ({
  ok: false,
  reply: { code: 555, enhanced: "5.5.4", text: `Unsupported parameter ${key}` },
});

// RFC 5321 §4.1.2: Mail-parameters = esmtp-param *(SP esmtp-param);
// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"); esmtp-value = 1*(%d33-60 / %d62-126),
// plus UTF8-non-ascii (RFC 6531 §3.3). Runs of spaces are tolerated. A repeated keyword
// with the identical value is ignored (Python's smtplib sends SMTPUTF8 twice); a
// conflicting repeat is refused.
function split(s: string): { ok: true; raw: Raw[] } | { ok: false; reply: SmtpReply } {
  const raw: Raw[] = [];
  const seen = new Map<string, string | null>();
  for (const tok of s.split(" ")) {
    if (tok === "") continue;
    const eq = tok.indexOf("=");
    const key = (eq < 0 ? tok : tok.slice(0, eq)).toUpperCase();
    const value = eq < 0 ? null : tok.slice(eq + 1);
    if (!/^[A-Z0-9][A-Z0-9-]*$/.test(key)) return bad("Syntax error in parameters");
    if (value !== null && !/^(?:[\x21-\x3c\x3e-\x7e]|[^\x00-\x9f\ufffd])+$/u.test(value)) {
      return bad(`Syntax error in ${key} value`);
    }
    if (seen.has(key)) {
      if (seen.get(key) === value) continue;
      return bad(`Duplicate parameter ${key}`);
    }
    seen.set(key, value);
    raw.push({ key, value });
  }
  return { ok: true, raw };
}

function digits(v: string | null): number | null {
  if (v === null || !/^\d{1,20}$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** MAIL FROM parameters; `s` is everything after the reverse-path. */
export function parseMailParams(s: string): ParamsResult<MailParams> {
  const sp = split(s);
  if (!sp.ok) return sp;
  const p: MailParams = { size: null, body: null, smtputf8: false, ret: null, envid: null, auth: null, requireTls: false };
  for (const { key, value } of sp.raw) {
    const v = value?.toUpperCase() ?? null;
    switch (key) {
      case "SIZE": // RFC 1870 §3: size-value = 1*20DIGIT
        p.size = digits(value);
        if (p.size === null) return bad("Invalid SIZE value");
        break;
      case "BODY": // RFC 6152 §2, RFC 3030 §3
        if (v !== "7BIT" && v !== "8BITMIME" && v !== "BINARYMIME") return bad("Invalid BODY value");
        p.body = v;
        break;
      case "SMTPUTF8": // RFC 6531 §3.4: no value
        if (value !== null) return bad("SMTPUTF8 takes no value");
        p.smtputf8 = true;
        break;
      case "REQUIRETLS": // RFC 8689 §4: no value
        if (value !== null) return bad("REQUIRETLS takes no value");
        p.requireTls = true;
        break;
      case "RET": // RFC 3461 §4.3
        if (v !== "FULL" && v !== "HDRS") return bad("Invalid RET value");
        p.ret = v;
        break;
      case "ENVID": { // RFC 3461 §4.4
        const d = value === null ? null : decodeXtext(value);
        if (d === null || !printable(d) || d.length > MAX_ENVID) return bad("Invalid ENVID value");
        p.envid = d;
        break;
      }
      case "AUTH": { // RFC 4954 §5: AUTH=mailbox (xtext) or AUTH=<>
        const d = value === null ? null : decodeXtext(value);
        if (d === null || d === "") return bad("Invalid AUTH value");
        p.auth = d;
        break;
      }
      default:
        return unknown(key);
    }
  }
  return { ok: true, params: p };
}

// RFC 3461 §4.1: NOTIFY = "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ).
function parseNotify(value: string | null): Notify | null {
  if (value === null) return null;
  const items = value.toUpperCase().split(",");
  if (items.length === 1 && items[0] === "NEVER") return { never: true, success: false, failure: false, delay: false };
  const n: Notify = { never: false, success: false, failure: false, delay: false };
  for (const it of items) {
    const k = it === "SUCCESS" ? "success" : it === "FAILURE" ? "failure" : it === "DELAY" ? "delay" : null;
    if (k === null || n[k]) return null;
    n[k] = true;
  }
  return n;
}

// RFC 3461 §4.2: ORCPT = addr-type ";" xtext; addr-type is an atom, case-insensitive.
function parseOrcpt(value: string | null): Orcpt | null {
  if (value === null) return null;
  const semi = value.indexOf(";");
  if (semi <= 0) return null;
  const addrType = value.slice(0, semi).toLowerCase();
  if (!/^[a-z0-9][a-z0-9-]*$/.test(addrType)) return null;
  const enc = value.slice(semi + 1);
  const address = addrType === "utf-8" ? decodeUtf8Addr(enc) : decodeXtext(enc);
  if (address === null || address === "" || address.length > MAX_ORCPT) return null;
  if (addrType === "rfc822" && !printable(address)) return null;
  return { addrType, address };
}

/** RCPT TO parameters; `s` is everything after the forward-path. */
export function parseRcptParams(s: string): ParamsResult<RcptParams> {
  const sp = split(s);
  if (!sp.ok) return sp;
  const p: RcptParams = { notify: null, orcpt: null };
  for (const { key, value } of sp.raw) {
    switch (key) {
      case "NOTIFY":
        p.notify = parseNotify(value);
        if (p.notify === null) return bad("Invalid NOTIFY value");
        break;
      case "ORCPT":
        p.orcpt = parseOrcpt(value);
        if (p.orcpt === null) return bad("Invalid ORCPT value");
        break;
      default:
        return unknown(key);
    }
  }
  return { ok: true, params: p };
}
