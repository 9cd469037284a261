// RFC 5321 §4.1.2 path grammar (with RFC 6531 UTF-8 extensions): parses "<local@domain>",
// "<>", "<Postmaster>" and source routes into a canonical mailbox, or a typed SMTP reply.
import type { SmtpReply } from "./reply.ts";

export type Path = {
  /** Local part as the mailbox identity: quotes removed, quoted-pairs resolved, case kept (RFC 5321 §2.4). */
  local: string;
  /** Domain lower-cased; an address literal keeps its brackets; "" for "<>" and bare "<Postmaster>". */
  domain: string;
  /** Canonical "local@domain"; the local part is re-quoted only when it is not a dot-string. */
  address: string;
  isNull: boolean;
  isLiteral: boolean;
  /** Bare "<Postmaster>" without a domain (RFC 5321 §4.5.1). */
  isPostmaster: boolean;
  needsSmtputf8: boolean;
  routeIgnored: boolean;
};
/** A forward-path can never be the null path. */
export type RcptPath = Path & { isNull: false };

export type PathResult = { ok: true; path: Path } | { ok: false; reply: SmtpReply };

// RFC 5321 §4.5.3.1.1–3 limits, in octets.
export const MAX_LOCAL_PART = 64;
export const MAX_DOMAIN = 255;
export const MAX_PATH = 256;
const MAX_LABEL = 63; // RFC 1035 §2.3.4

const encoder = new TextEncoder();
const octets = (s: string): number => encoder.encode(s).length;

// RFC 5322 §3.2.3 atext (RFC 5321 §4.1.2 Atom), widened by RFC 6531 §3.3 to UTF8-non-ascii.
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]$/;
// Non-ASCII is allowed, but not C1 controls or U+FFFD (the caller's mark for invalid UTF-8).
const isUtf8Ok = (c: string): boolean => {
  const cp = c.codePointAt(0) ?? 0;
  return cp > 0x9f && cp !== 0xfffd && !(cp >= 0xd800 && cp <= 0xdfff);
};
const isAtext = (c: string): boolean => ATEXT.test(c) || (c.charCodeAt(0) > 0x7f && isUtf8Ok(c));

const fail = (code: number, text: string): { ok: false; reply: SmtpReply } => ({
  ok: false,
  reply: { code, enhanced: "5.1.3", text },
});

/** RFC 5321 §4.1.2 Dot-string = Atom *("." Atom). */
export function isDotString(s: string): boolean {
  if (s === "") return false;
  for (const atom of s.split(".")) {
    if (atom === "") return false;
    for (const c of atom) if (!isAtext(c)) return false;
  }
  return true;
}

/**
 * RFC 5321 §4.1.2 Domain (sub-domain = Let-dig [Ldh-str]) or, with `utf8`, RFC 6531 §3.3 U-labels.
 * `underscore` tolerates "_" as many HELO names carry it (Windows host names).
 */
export function isDomain(s: string, opts: { utf8?: boolean; underscore?: boolean } = {}): boolean {
  if (s === "" || octets(s) > MAX_DOMAIN) return false;
  for (const label of s.split(".")) {
    if (label === "" || octets(label) > MAX_LABEL) return false;
    if (label.startsWith("-") || label.endsWith("-")) return false;
    for (const c of label) {
      if (/^[A-Za-z0-9-]$/.test(c)) continue;
      if (c === "_" && opts.underscore === true) continue;
      if (opts.utf8 === true && c.charCodeAt(0) > 0x7f && isUtf8Ok(c)) continue;
      return false;
    }
  }
  return true;
}

// RFC 5321 §4.1.3 Snum: 1*3DIGIT with value 0–255.
function isIpv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

// RFC 5321 §4.1.3 IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp.
function isIpv6(s: string): boolean {
  let groups = 8;
  let body = s;
  const lastColon = s.lastIndexOf(":");
  if (lastColon >= 0 && s.slice(lastColon + 1).includes(".")) {
    if (!isIpv4(s.slice(lastColon + 1))) return false;
    groups = 6;
    body = s.slice(0, lastColon + 1);
    // "::1.2.3.4" keeps "::"; "a:b:c:d:e:f:1.2.3.4" leaves a trailing ":" to drop.
    if (!body.endsWith("::")) body = body.slice(0, -1);
  }
  const hex = (g: string): boolean => /^[0-9A-Fa-f]{1,4}$/.test(g);
  const dbl = body.indexOf("::");
  if (dbl < 0) {
    const parts = body.split(":");
    return parts.length === groups && parts.every(hex);
  }
  if (body.indexOf("::", dbl + 1) >= 0) return false;
  const left = body.slice(0, dbl);
  const right = body.slice(dbl + 2);
  const l = left === "" ? [] : left.split(":");
  const r = right === "" ? [] : right.split(":");
  // IPv6-comp allows at most groups-2 explicit groups around "::".
  return l.every(hex) && r.every(hex) && l.length + r.length <= groups - 2;
}

/**
 * RFC 5321 §4.1.3 address-literal, brackets included. Returns the canonical literal or null.
 * General-address-literal tags must be IANA-registered and only "IPv6" is, so others fail.
 */
export function parseAddressLiteral(s: string): string | null {
  if (!s.startsWith("[") || !s.endsWith("]")) return null;
  const inner = s.slice(1, -1);
  if (isIpv4(inner)) return `[${inner}]`;
  if (/^ipv6:/i.test(inner) && isIpv6(inner.slice(5))) return `[IPv6:${inner.slice(5).toLowerCase()}]`;
  return null;
}

/** Index just past the closing ">" of a path starting at s[0] === "<", honouring quoted strings; -1 if none. */
export function findPathEnd(s: string): number {
  if (!s.startsWith("<")) return -1;
  let quoted = false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (quoted && c === "\\") i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === ">") return i + 1;
  }
  return -1;
}

// RFC 5321 §4.1.2 Quoted-string: qtextSMTP = %d32-33 / %d35-91 / %d93-126,
// quoted-pairSMTP = "\" %d32-126; RFC 6531 §3.3 adds UTF8-non-ascii to qtextSMTP only.
function unquote(body: string): string | null {
  let out = "";
  let escaped = false;
  for (const c of body) {
    const cp = c.codePointAt(0) ?? 0;
    if (escaped) {
      if (cp < 32 || cp > 126) return null;
      out += c;
      escaped = false;
    } else if (c === "\\") escaped = true;
    else if (c === '"') return null;
    else if ((cp >= 32 && cp <= 126) || (cp > 0x7f && isUtf8Ok(c))) out += c;
    else return null;
  }
  return escaped ? null : out;
}

// Canonical local part: as a dot-string when it is one, else a minimal quoted-string (RFC 5321 §4.1.2).
function canonicalLocal(local: string): string {
  return isDotString(local) ? local : `"${local.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * Parse a reverse- or forward-path, e.g. `<a@b>`, `<>`, `<@r1,@r2:a@b>`, `<Postmaster>`.
 * The caller decides where null and bare Postmaster are allowed (see parseReversePath /
 * parseForwardPath). Syntax errors are 501 5.1.3; length limits 501 (RFC 5321 §4.5.3.1.10,
 * "501 Path too long") or 553 for an over-long local part or domain (RFC 5321 §4.2.2).
 */
export function parsePath(s: string): PathResult {
  if (octets(s) > MAX_PATH) return fail(501, "Path too long");
  if (!s.startsWith("<") || !s.endsWith(">") || findPathEnd(s) !== s.length) {
    return fail(501, "Syntax error in mailbox address, expected <local@domain>");
  }
  let inner = s.slice(1, -1);
  const base = { isLiteral: false, isPostmaster: false, needsSmtputf8: false, routeIgnored: false };
  if (inner === "") return { ok: true, path: { ...base, local: "", domain: "", address: "", isNull: true } };

  // RFC 5321 §4.1.1.3 and Appendix C: a source route (A-d-l) is accepted and ignored.
  let routeIgnored = false;
  if (inner.startsWith("@")) {
    const colon = inner.indexOf(":");
    if (colon < 0) return fail(501, "Syntax error in source route");
    for (const hop of inner.slice(0, colon).split(",")) {
      if (!hop.startsWith("@") || !isDomain(hop.slice(1), { utf8: true })) {
        return fail(501, "Syntax error in source route");
      }
    }
    inner = inner.slice(colon + 1);
    routeIgnored = true;
  }

  // RFC 5321 §4.5.1: "Postmaster" without a domain, case-insensitive.
  if (inner.toLowerCase() === "postmaster" && !routeIgnored) {
    return { ok: true, path: { ...base, local: inner, domain: "", address: "postmaster", isNull: false, isPostmaster: true } };
  }

  // Split at the "@" that ends the local part: after the closing quote, or the last "@".
  let rawLocal: string;
  let local: string | null;
  if (inner.startsWith('"')) {
    let end = -1;
    for (let i = 1; i < inner.length && end < 0; i++) {
      if (inner[i] === "\\") i++;
      else if (inner[i] === '"') end = i;
    }
    if (end < 0) return fail(501, "Unterminated quoted local part");
    rawLocal = inner.slice(0, end + 1);
    local = unquote(inner.slice(1, end));
  } else {
    const at = inner.lastIndexOf("@");
    rawLocal = at < 0 ? inner : inner.slice(0, at);
    local = isDotString(rawLocal) ? rawLocal : null;
  }
  // An empty quoted local part is grammatical but names no usable mailbox (RFC 5321 §4.1.2
  // advises against quoted forms); it is refused as a syntax error.
  if (local === null || local === "") return fail(501, "Syntax error in local part");
  const rest = inner.slice(rawLocal.length);
  if (!rest.startsWith("@")) return fail(501, "Syntax error in mailbox address, missing @domain");
  const rawDomain = rest.slice(1);
  let domain: string;
  let isLiteral = false;
  if (rawDomain.startsWith("[")) {
    const lit = parseAddressLiteral(rawDomain);
    if (lit === null) return fail(501, "Syntax error in address literal");
    domain = lit;
    isLiteral = true;
  } else {
    if (octets(rawDomain) > MAX_DOMAIN) return fail(553, "Domain too long");
    if (!isDomain(rawDomain, { utf8: true })) return fail(501, "Syntax error in domain");
    domain = rawDomain.toLowerCase();
  }
  if (octets(rawLocal) > MAX_LOCAL_PART) return fail(553, "Local part too long");
  const needsSmtputf8 = /[^\x00-\x7f]/.test(local) || /[^\x00-\x7f]/.test(domain);
  const address = `${canonicalLocal(local)}@${domain}`;
  return { ok: true, path: { ...base, local, domain, address, isNull: false, isLiteral, needsSmtputf8, routeIgnored } };
}

/** MAIL FROM reverse-path: "<>" allowed, bare Postmaster not; errors use 5.1.7 (RFC 3463 §3.2). */
export function parseReversePath(s: string): PathResult {
  const r = parsePath(s);
  if (!r.ok) return { ok: false, reply: { ...r.reply, enhanced: "5.1.7" } };
  if (r.path.isPostmaster) return { ok: false, reply: { code: 501, enhanced: "5.1.7", text: "Sender address needs a domain" } };
  return r;
}

/** RCPT TO forward-path: "<>" not allowed (RFC 5321 §4.1.1.3), bare Postmaster allowed (§4.5.1). */
export function parseForwardPath(s: string): { ok: true; path: RcptPath } | { ok: false; reply: SmtpReply } {
  const r = parsePath(s);
  if (!r.ok) return r;
  if (r.path.isNull) return fail(501, "Null recipient address not allowed");
  return { ok: true, path: { ...r.path, isNull: false } };
}
