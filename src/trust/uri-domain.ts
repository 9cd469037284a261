// Which name of a URL host a domain blocklist (RFC 5782 §2.2) is asked about: the registrable
// domain ("www.shop.example.co.uk" → "example.co.uk") from the Public Suffix List via tldts,
// since DBL-style lists list registered domains, not every host below them.

import { getDomain } from "tldts";
import { isIP } from "node:net";

/** The registrable domain of a host; null for IP addresses and names without one (e.g. "localhost"). */
export function registrableDomain(host: string): string | null {
  const h = host.replace(/^\[|\]$/g, "");
  if (isIP(h) !== 0) return null;
  return getDomain(h) ?? null;
}
