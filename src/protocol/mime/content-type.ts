// The MIME entity fields (RFC 2045 §5-8, RFC 2183, RFC 3282, RFC 2557) turned into the
// values BODYSTRUCTURE needs, with the RFC 2045/2046 defaults when a field is absent or bad.

import { firstValue } from "./header.ts";
import { parseParameterized, stripComments } from "./params.ts";
import type { ContentType, Disposition, HeaderField, MimePart } from "./types.ts";

/** RFC 2045 §5.2 default, with RFC 2046 §4.1.2's us-ascii charset. */
export function textPlain(): ContentType {
  return { type: "text", subtype: "plain", params: { charset: "us-ascii" } };
}

/** RFC 2046 §5.1.5: the default inside multipart/digest. */
export function messageRfc822(): ContentType {
  return { type: "message", subtype: "rfc822", params: {} };
}

/** RFC 2045 §5.1 token: printable US-ASCII except SPACE and tspecials. */
function isToken(s: string): boolean {
  if (s === "") return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || TSPECIALS.includes(s[i]!)) return false;
  }
  return true;
}

const TSPECIALS = '()<>@,;:\\"/[]?=';

/**
 * RFC 2045 §5.2: a missing or syntactically invalid Content-Type means the context default.
 * RFC 2046 §4.1.2: text/* without charset is us-ascii, so the parameter is made explicit.
 */
export function parseContentType(value: string | null, fallback: () => ContentType): ContentType {
  if (value === null) return fallback();
  const parsed = parseParameterized(value);
  const slash = parsed.value.indexOf("/");
  if (slash === -1) return fallback();
  const type = parsed.value.slice(0, slash).trim().toLowerCase();
  const subtype = parsed.value.slice(slash + 1).trim().toLowerCase();
  if (!isToken(type) || !isToken(subtype)) return fallback();
  const params = parsed.params;
  if (type === "text" && !Object.hasOwn(params, "charset")) params.charset = "us-ascii";
  return { type, subtype, params };
}

/** RFC 2183 §2: disposition type and parameters; null when absent or empty. */
export function parseDisposition(value: string | null): Disposition | null {
  if (value === null) return null;
  const parsed = parseParameterized(value);
  const v = parsed.value.toLowerCase();
  if (v === "" || !isToken(v)) return null;
  return { value: v, params: parsed.params };
}

/** RFC 3282 §2: a comma-separated list of language tags. */
export function parseLanguage(value: string | null): string[] | null {
  if (value === null) return null;
  const tags = stripComments(value)
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  return tags.length === 0 ? null : tags;
}

/** RFC 2045 §6.1: the mechanism token, lower-cased; "7bit" when absent or empty. */
export function parseEncoding(value: string | null): string {
  if (value === null) return "7bit";
  const v = stripComments(value).toLowerCase();
  return v === "" ? "7bit" : v;
}

/** RFC 2557 §4.4.1: a folded Content-Location URI has its whitespace removed. */
export function parseLocation(value: string | null): string | null {
  if (value === null) return null;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) out += value[i];
  }
  return out === "" ? null : out;
}

function nonEmpty(value: string | null): string | null {
  return value === null || value === "" ? null : value;
}

/** RFC 2046 §5.2.1 / RFC 6532 §3.7: encapsulated messages may only use identity encodings. */
export const IDENTITY_ENCODINGS: ReadonlySet<string> = new Set(["7bit", "8bit", "binary"]);

export type EntityFields = Pick<
  MimePart,
  "contentType" | "disposition" | "id" | "description" | "encoding" | "language" | "location" | "md5"
>;

/** All the Content-* fields of one entity; the first occurrence of a duplicated field wins. */
export function entityFields(fields: readonly HeaderField[], fallback: () => ContentType): EntityFields {
  return {
    contentType: parseContentType(firstValue(fields, "content-type"), fallback),
    disposition: parseDisposition(firstValue(fields, "content-disposition")),
    id: nonEmpty(firstValue(fields, "content-id")),
    description: nonEmpty(firstValue(fields, "content-description")),
    encoding: parseEncoding(firstValue(fields, "content-transfer-encoding")),
    language: parseLanguage(firstValue(fields, "content-language")),
    location: parseLocation(firstValue(fields, "content-location")),
    md5: nonEmpty(firstValue(fields, "content-md5")),
  };
}
