// Host names of the URLs in a message's text parts (text/plain and text/html, transfer
// encoding decoded), for domain blocklists (RFC 5782 §2.2). Bounded: at most `maxBytes` of
// encoded body are read and at most `maxHosts` distinct hosts returned.

import { parseMime } from "../protocol/mime/parse.ts";
import type { MimePart } from "../protocol/mime/types.ts";
import { decodeTransfer } from "../protocol/imap/transfer-decode.ts";

export type UriScan = { readonly hosts: readonly string[]; readonly truncated: boolean };

/** Parts visited (a message of thousands of tiny parts must not turn into thousands of scans). */
const MAX_PARTS = 100;

export function extractUriHosts(message: Uint8Array, opts: { maxBytes: number; maxHosts: number }): UriScan {
  const parsed = parseMime(message);
  const hosts = new Set<string>();
  let budget = opts.maxBytes;
  let truncated = parsed.truncated;
  const texts: MimePart[] = [];
  collectTextParts(parsed.root, texts);
  if (texts.length > MAX_PARTS) truncated = true;
  for (const part of texts.slice(0, MAX_PARTS)) {
    if (budget <= 0 || hosts.size >= opts.maxHosts) {
      truncated = true;
      break;
    }
    const end = Math.min(part.bodyEnd, part.bodyStart + budget);
    if (end < part.bodyEnd) truncated = true;
    budget -= end - part.bodyStart;
    const decoded = decodeTransfer(message.subarray(part.bodyStart, end), part.encoding);
    if (!decoded.ok) continue;
    // URLs are ASCII (or punycode-able); a lenient UTF-8 decode keeps IDN hosts readable.
    let text = new TextDecoder("utf-8", { fatal: false }).decode(decoded.bytes);
    if (part.contentType.subtype === "html") text = decodeCharRefs(text);
    for (const h of urlHosts(text)) {
      if (hosts.size >= opts.maxHosts) {
        truncated = true;
        break;
      }
      hosts.add(h);
    }
  }
  return { hosts: [...hosts], truncated };
}

function collectTextParts(part: MimePart, out: MimePart[]): void {
  if (part.parts) {
    // Bounded by the parser's own depth and part limits (DESIGN §5).
    for (const p of part.parts) collectTextParts(p, out);
    return;
  }
  const { type, subtype } = part.contentType;
  if (type === "text" && (subtype === "plain" || subtype === "html")) out.push(part);
}

/** HTML numeric character references ("&#46;", "&#x2e;") hide dots and slashes from naive scanners. */
function decodeCharRefs(s: string): string {
  return s.replace(/&#(?:x([0-9a-f]{1,6})|(\d{1,7}));?/gi, (m, hex: string | undefined, dec: string | undefined) => {
    const cp = hex !== undefined ? parseInt(hex, 16) : Number(dec);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

/**
 * Hosts of "http://", "https://" and scheme-less "www." URLs: the authority (RFC 3986 §3.2)
 * without userinfo and port, lower-cased, IDNs in A-label form (via WHATWG URL).
 */
export function urlHosts(text: string): string[] {
  const out: string[] = [];
  const re = /\b(?:https?:\/\/|www\.)[^\s"'<>()\[\]{}\\^`|]+/gi;
  for (const m of text.matchAll(re)) {
    const raw = m[0];
    const withScheme = /^https?:\/\//i.test(raw) ? raw : `http://${raw}`;
    let host: string;
    try {
      host = new URL(withScheme).hostname;
    } catch {
      continue;
    }
    host = host.replace(/\.$/, "").toLowerCase();
    if (host !== "" && !out.includes(host)) out.push(host);
  }
  return out;
}
