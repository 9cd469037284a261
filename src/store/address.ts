// Address normalisation shared by the store: domains become lower-case A-labels and
// local parts are compared case-insensitively (we define our mailboxes that way).

import { domainToASCII } from "node:url";
import { StoreError } from "./errors.ts";

// RFC 1035 §2.3.4 limits, RFC 5890 A-labels; LDH only, no leading/trailing hyphen.
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Lower-case A-label form of `name`, or null when it is not a valid host name. */
export function normalizeDomain(name: string): string | null {
  let d = name.trim();
  if (d.endsWith(".")) d = d.slice(0, -1);
  if (d === "" || d.length > 253) return null;
  // Non-ASCII (U-label) input is converted with UTS #46, as browsers and MTAs do.
  const ascii = /^[\x00-\x7f]*$/.test(d) ? d.toLowerCase() : domainToASCII(d).toLowerCase();
  if (ascii === "" || ascii.length > 253) return null;
  return ascii.split(".").every((l) => LABEL.test(l)) ? ascii : null;
}

export function requireDomain(name: string): string {
  const d = normalizeDomain(name);
  if (d === null) throw new StoreError("INVALID_DOMAIN", `not a valid domain name: ${JSON.stringify(name)}`);
  return d;
}

export type SplitAddress = {
  /** Lower-cased local part: how our own mailboxes are compared. */
  local: string;
  domain: string;
  /** `local@domain`, lower-cased: the key for local lookups. */
  address: string;
  /** Local part as given, domain normalised: how to hand the address to a remote MTA (RFC 5321 §2.4). */
  verbatim: string;
};

/**
 * Splits at the last "@" (a quoted local part may itself contain "@"), lower-cases the
 * local part and normalises the domain. The local part is otherwise kept literally:
 * "%", "!" and quotes are never interpreted as source routes (open-relay defence).
 */
export function splitAddress(address: string): SplitAddress | null {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at === address.length - 1) return null;
  const given = address.slice(0, at);
  const local = given.toLowerCase();
  // RFC 5321 §4.5.3.1.1: a local part is at most 64 octets.
  if (new TextEncoder().encode(local).length > 64) return null;
  if (/[\x00-\x20\x7f]/.test(local) && !(local.startsWith('"') && local.endsWith('"'))) return null;
  const domain = normalizeDomain(address.slice(at + 1));
  if (domain === null) return null;
  return { local, domain, address: `${local}@${domain}`, verbatim: `${given}@${domain}` };
}

export function requireAddress(address: string): SplitAddress {
  const a = splitAddress(address);
  if (a === null) throw new StoreError("INVALID_ADDRESS", `not a valid address: ${JSON.stringify(address)}`);
  return a;
}
