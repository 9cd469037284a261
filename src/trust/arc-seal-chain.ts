// The chain validation status (RFC 8617 §4.1.3 cv=) a new ARC set reports: from the ARC result
// message-auth already stored, so sealing costs no second DNS round; only a message that
// message-auth did not check (trusted or authenticated client, ARC off) is verified here.

import { arc, dkimVerify, type ARCData } from "mailauth";
import type { MessageAuthFinding } from "./auth-findings.ts";
import type { ResolveFn } from "./auth-dns-replay.ts";
import type { ChainStatus } from "./arc-seal.ts";

export type ChainVerdict = {
  readonly cv: ChainStatus;
  /** Where the status came from, for the trace. */
  readonly source: "message-auth" | "no ARC headers" | "verified here";
  /** An `arc=` resinfo for the ARC-Authentication-Results when we verified it ourselves. */
  readonly resinfo: string | null;
};

/** Any ARC-Seal field in the header block (before the first empty line)? */
export function hasArcSeal(message: Uint8Array): boolean {
  const text = new TextDecoder("latin1").decode(message.subarray(0, Math.min(message.length, 1 << 20)));
  const end = text.search(/\r?\n\r?\n/);
  return /(?:^|\n)arc-seal[ \t]*:/i.test(end < 0 ? text : text.slice(0, end + 1));
}

/** RFC 8617 §5.2: the validator's result is none, pass or fail (every error is a fail). */
function asStatus(result: string | undefined): ChainStatus {
  return result === "none" || result === "pass" ? result : "fail";
}

export async function chainStatus(message: Uint8Array, finding: MessageAuthFinding | undefined, resolve: ResolveFn): Promise<ChainVerdict> {
  if (finding?.arc) return { cv: asStatus(finding.arc.result), source: "message-auth", resinfo: null };
  // §5.1: no chain yet → instance 1, and cv=none (§4.1.3); nothing to look up.
  if (!hasArcSeal(message)) return { cv: "none", source: "no ARC headers", resinfo: null };
  const input = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const dkim = await dkimVerify(input, { resolver: resolve });
  const res = await arc(dkim.arc as unknown as ARCData, { resolver: resolve });
  return { cv: asStatus(res.status.result), source: "verified here", resinfo: res.info ?? null };
}
