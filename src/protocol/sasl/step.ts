// Helpers shared by the SASL mechanisms: failure steps, the message size cap, and strict
// UTF-8 decoding (RFC 4616 §2 and RFC 5802 §7 carry UTF-8 text).
import type { SaslFailureReason, SaslStep } from "./mod.ts";

/** Largest single client message any mechanism accepts (RFC 4616 §2 needs 3×255 + 2). */
export const SASL_MAX_MESSAGE = 8192;

export function fail(reason: SaslFailureReason): SaslStep {
  return { type: "failure", reason };
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 (RFC 3629), or null if the bytes are not valid UTF-8. */
export function utf8(data: Uint8Array): string | null {
  try {
    return UTF8.decode(data);
  } catch {
    return null;
  }
}

const ENCODER = new TextEncoder();

export function textBytes(s: string): Uint8Array {
  return ENCODER.encode(s);
}
