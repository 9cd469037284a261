// DKIM-signs an outgoing message (RFC 6376 §5) with every active key of its author domain,
// normally one RSA and one Ed25519 signature (RFC 6376 §4.2 allows several; verifiers that do
// not know RFC 8463 Ed25519 yet still find the RSA one). The signing itself is mailauth's.

import { dkimSign } from "mailauth";
import type { Db } from "../db/client.ts";
import { parseAddressList } from "../protocol/mime/address.ts";
import { splitHeader } from "../protocol/mime/bytes.ts";
import { scanFields } from "../protocol/mime/header.ts";
import { DEFAULT_MIME_LIMITS } from "../protocol/mime/limits.ts";
import { normalizeDomain } from "../store/address.ts";
import { activeDkimKeys } from "../store/dkim.ts";
import type { DkimAlgorithm } from "../store/dkim.ts";

export type SignedBy = { domain: string; selector: string; algorithm: DkimAlgorithm };

export type SignFailure = { selector: string; reason: string };

export type SignResult = {
  /** The DKIM-Signature fields (CRLF-terminated) followed by the untouched input bytes. */
  message: Uint8Array;
  signedBy: SignedBy[];
  /** Keys that could not sign (a broken key row); the others still did. */
  failed: SignFailure[];
};

/** Thrown when the domain has keys but none of them produced a signature. */
export class DkimSignError extends Error {
  readonly code = "DKIM_SIGN_FAILED";
  constructor(message: string) {
    super(message);
    this.name = "DkimSignError";
  }
}

/**
 * RFC 6376 §5.4: From MUST be signed; the rest are the fields whose change would alter
 * what the recipient sees or how replies and list actions work. mailauth 7 puts in h= only
 * the instances present, so From cannot be over-signed (§8.15): a repeated name in this list
 * is ignored. A From added after signing is what over-signing would catch; receivers applying
 * DMARC reject mail with two From fields anyway (RFC 7489 §6.6.1).
 */
export const SIGNED_HEADERS: readonly string[] = [
  "From", "Sender", "Reply-To", "Subject", "Date", "Message-ID", "To", "Cc",
  "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-ID", "Content-Description",
  "In-Reply-To", "References",
  "Resent-Date", "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Message-ID",
  "List-Id", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe",
  "List-Post", "List-Owner", "List-Archive",
];

/**
 * The RFC 5322 §3.6.2 author domain (lower-case A-label): the domain of the From field's
 * mailboxes. Null when there is not exactly one From field (RFC 5322 §3.6 allows one; DMARC,
 * RFC 7489 §6.6.1, cannot judge more) or when its mailboxes span different domains.
 */
export function authorDomain(message: Uint8Array): string | null {
  const { headerEnd } = splitHeader(message, 0, message.length, { bytes: 0 });
  const { fields } = scanFields(message, 0, headerEnd, DEFAULT_MIME_LIMITS.maxHeaderBytes);
  const from = fields.filter((f) => f.name.toLowerCase() === "from");
  if (from.length !== 1) return null;
  const domains = new Set<string | null>();
  for (const a of parseAddressList(from[0].value) ?? []) {
    // Group markers have a null host; they carry no address of their own.
    if (a.host === null) continue;
    domains.add(normalizeDomain(a.host));
  }
  if (domains.size !== 1) return null;
  const [d] = domains;
  return d ?? null;
}

/**
 * Signs with every active key of the author domain (d= is that domain, so DMARC aligns,
 * RFC 7489 §3.1.1). No author domain or no key: the message comes back unchanged.
 * relaxed/relaxed (RFC 6376 §3.4.2, §3.4.4) survives the re-folding relays do.
 */
export async function signMessage(db: Db, message: Uint8Array, opts: { now?: number } = {}): Promise<SignResult> {
  const domain = authorDomain(message);
  const keys = domain === null ? [] : await activeDkimKeys(db, domain);
  if (domain === null || keys.length === 0) return { message, signedBy: [], failed: [] };
  const res = await dkimSign(Buffer.from(message.buffer, message.byteOffset, message.byteLength), {
    // mailauth 7 reads only `signatureData` (and shared options) at run time; its typings
    // still require the single-key fields, which are set to the first key to satisfy them.
    signingDomain: domain,
    selector: keys[0].selector,
    privateKey: keys[0].privateKey,
    canonicalization: "relaxed/relaxed",
    headerList: [...SIGNED_HEADERS],
    signTime: new Date(opts.now ?? Date.now()),
    // No shared `algorithm`: it would apply to every key and refuse the Ed25519 one.
    signatureData: keys.map((k) => ({
      signingDomain: domain,
      selector: k.selector,
      privateKey: k.privateKey,
      algorithm: k.algorithm,
      canonicalization: "relaxed/relaxed",
    })),
  });
  const failed: SignFailure[] = res.errors.map((e) => ({ selector: e.selector ?? "?", reason: e.err?.message ?? String(e.err) }));
  const bad = new Set(failed.map((f) => f.selector));
  const signedBy = keys.filter((k) => !bad.has(k.selector)).map((k) => ({ domain, selector: k.selector, algorithm: k.algorithm }));
  if (signedBy.length === 0 || res.signatures === "") {
    throw new DkimSignError(`no DKIM signature for ${domain}: ${failed.map((f) => `${f.selector}: ${f.reason}`).join("; ") || "signer returned none"}`);
  }
  // RFC 6376 §5.6: the signature fields are prepended; mailauth ends each with CRLF.
  const head = new TextEncoder().encode(res.signatures);
  const out = new Uint8Array(head.length + message.length);
  out.set(head, 0);
  out.set(message, head.length);
  return { message: out, signedBy, failed };
}
