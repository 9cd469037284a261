// What a HELO/EHLO argument is, for the helo-check handler: an address literal, a fully
// qualified domain name, or neither (a bare IP, a dotless host name, a malformed name).

import { isDomain, parseAddressLiteral } from "../protocol/smtp/address.ts";

export type HeloName =
  | { readonly kind: "literal"; readonly ip: string }
  | { readonly kind: "fqdn"; readonly name: string }
  | { readonly kind: "invalid"; readonly why: string };

/**
 * RFC 5321 §4.1.1.1: EHLO carries the client's "primary host name" (§2.3.5: a fully-qualified
 * domain name) or, when it has none, an address literal (§4.1.3). Bare IPv4 text is not a
 * literal: it parses as four numeric labels, and RFC 3696 §2 says a top-level label is never
 * all-numeric — so "192.0.2.1" without brackets is refused as not fully qualified.
 */
export function classifyHelo(arg: string, opts: { underscore: boolean }): HeloName {
  const literal = parseAddressLiteral(arg);
  if (literal !== null) return { kind: "literal", ip: literal.slice(1, -1).replace(/^IPv6:/i, "") };
  const name = arg.replace(/\.$/, "").toLowerCase();
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(name)) return { kind: "invalid", why: "an IP address must be sent as a literal [a.b.c.d]" };
  if (/^[0-9a-f:]+$/i.test(name) && name.includes(":")) return { kind: "invalid", why: "an IPv6 address must be sent as a literal [IPv6:...]" };
  if (!isDomain(name, { underscore: opts.underscore })) return { kind: "invalid", why: "not a valid domain name" };
  const labels = name.split(".");
  if (labels.length < 2) return { kind: "invalid", why: "not a fully qualified domain name" };
  if (/^\d+$/.test(labels.at(-1)!)) return { kind: "invalid", why: "the top-level label is numeric" };
  return { kind: "fqdn", name };
}
