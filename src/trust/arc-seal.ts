// One ARC set (RFC 8617 §5.1: ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results) for
// a message, made by mailauth's createSeal over the message bytes. Hashes the message; asks no
// DNS: the chain validation status (cv=) comes from the caller (src/trust/arc-seal-chain.ts).

import { createSeal } from "mailauth";
import type { HeaderField } from "../events/verdict.ts";
import type { DkimAlgorithm } from "../store/dkim.ts";

export type ChainStatus = "none" | "pass" | "fail";

/** A signing key as the dkim_keys table holds it (src/store/dkim.ts). */
export type SealKey = { readonly domain: string; readonly selector: string; readonly algorithm: DkimAlgorithm; readonly privateKey: string };

export type SealOutcome =
  | { readonly ok: true; readonly instance: number; readonly cv: ChainStatus; readonly fields: HeaderField[] }
  | { readonly ok: false; readonly code: string; readonly reason: string };

/** "ARC-Seal: i=1; a=…" (possibly folded) → { name, value }, the value as mailauth signed it. */
function toField(line: string): HeaderField {
  const colon = line.indexOf(":");
  return { name: line.slice(0, colon).trim(), value: line.slice(colon + 1).replace(/^[ \t]+/, "").replace(/\r\n$/, "") };
}

/**
 * Seals `message` as instance N+1 of its chain. `authResults` is the payload of the
 * ARC-Authentication-Results field (RFC 8617 §4.1.1: our Authentication-Results value,
 * authserv-id first). mailauth refuses (ok: false) when the newest seal already says cv=fail
 * (§5.1: "no need to proceed"), when 50 sets exist (§4.2.1), or when the key is unusable.
 * With cv=fail the seal signs only our own set (§5.1.2); with cv=pass, every set before it (§5.1.1).
 */
export async function sealArcSet(
  message: Uint8Array,
  opts: { readonly key: SealKey; readonly cv: ChainStatus; readonly authResults: string; readonly signTime: Date },
): Promise<SealOutcome> {
  const { key } = opts;
  const res = await createSeal(Buffer.from(message.buffer, message.byteOffset, message.byteLength), {
    seal: {
      signingDomain: key.domain,
      selector: key.selector,
      privateKey: key.privateKey,
      algorithm: key.algorithm,
      cv: opts.cv,
      authResults: opts.authResults,
      signTime: opts.signTime,
    },
  });
  if (res.headers.length === 0) {
    const err = res.errors[0]?.err as { code?: string; message?: string } | undefined;
    return { ok: false, code: err?.code ?? "ESEAL", reason: err?.message ?? "mailauth made no ARC set" };
  }
  const fields = res.headers.map(toField);
  const seal = fields.find((f) => f.name.toLowerCase() === "arc-seal")!;
  const instance = Number(/(?:^|;)\s*i\s*=\s*(\d+)/.exec(seal.value)?.[1] ?? 0);
  return { ok: true, instance, cv: opts.cv, fields };
}
