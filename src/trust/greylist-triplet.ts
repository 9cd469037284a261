// The greylisting triplet (RFC 6647 §2.2): client network, envelope sender, recipient — and
// the whitelist tests that need no database. Pure functions.

import { clientNetwork } from "./networks.ts";

/**
 * "<client network>|<sender>|<recipient>", lower-case. The client is grouped by network
 * (IPv4 /24, IPv6 /64 by default), because large senders often retry from another host of
 * the same pool. The null sender <> stays '' (bounces are retried like any message).
 */
export function tripletKey(ip: string, sender: string, recipient: string, v4Prefix = 24, v6Prefix = 64): string {
  return `${clientNetwork(ip, v4Prefix, v6Prefix)}|${sender.toLowerCase()}|${recipient.toLowerCase()}`;
}

/** True when the sender's domain is `domain` or one of its subdomains (case-insensitive). */
export function senderInDomains(sender: string, domains: readonly string[]): boolean {
  const at = sender.lastIndexOf("@");
  if (at < 0) return false;
  const d = sender.slice(at + 1).toLowerCase().replace(/\.$/, "");
  return domains.some((w) => {
    const x = w.toLowerCase().replace(/^\.|\.$/g, "");
    return d === x || d.endsWith(`.${x}`);
  });
}

/**
 * Did DMARC pass for this message, according to what the message-auth handler left in
 * ctx.results? Accepts `{ dmarc: "pass" }`, `{ dmarc: { result: "pass" } }` and mailauth's
 * `{ dmarc: { status: { result: "pass" } } }`; anything else counts as not passed.
 */
export function dmarcPassed(found: unknown): boolean {
  if (typeof found !== "object" || found === null) return false;
  const d = (found as { dmarc?: unknown }).dmarc;
  if (d === "pass") return true;
  if (typeof d !== "object" || d === null) return false;
  const r = d as { result?: unknown; status?: { result?: unknown } };
  return r.result === "pass" || r.status?.result === "pass";
}
