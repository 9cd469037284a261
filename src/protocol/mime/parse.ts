// Entry point of the delivery-time MIME parse: raw bytes in, a JSON-serialisable structure out
// (envelope, body structure, part offsets) that FETCH serves without re-parsing (DESIGN §4).

import type { WorkMeter } from "./bytes.ts";
import { parseDate } from "./date.ts";
import { buildEnvelope } from "./envelope.ts";
import { firstValue } from "./header.ts";
import { parseStructure } from "./structure.ts";
import type { MimeLimits, ParsedMessage } from "./types.ts";
import { decodeWords } from "./words.ts";

/** DESIGN §5: MIME depth, part count and header block are capped. */
export const DEFAULT_MIME_LIMITS: MimeLimits = Object.freeze({
  maxDepth: 32,
  maxParts: 1000,
  maxHeaderBytes: 256 * 1024,
});

/** Recursion is one stack frame pair per level, so depth is clamped whatever the caller asks. */
const HARD_MAX_DEPTH = 256;

function sane(n: number, fallback: number, max: number): number {
  return Number.isFinite(n) ? Math.min(Math.max(0, Math.floor(n)), max) : fallback;
}

/**
 * Parses a message once. Never throws: malformed input yields defaults (RFC 2045 §5.2) and a
 * limit reached stops parsing deeper with `truncated: true`. Pass a meter to count the work.
 */
export function parseMime(
  raw: Uint8Array,
  limits: MimeLimits = DEFAULT_MIME_LIMITS,
  meter: WorkMeter = { bytes: 0 },
): ParsedMessage {
  const safe: MimeLimits = {
    maxDepth: sane(limits.maxDepth, DEFAULT_MIME_LIMITS.maxDepth, HARD_MAX_DEPTH),
    maxParts: Math.max(1, sane(limits.maxParts, DEFAULT_MIME_LIMITS.maxParts, Number.MAX_SAFE_INTEGER)),
    maxHeaderBytes: sane(limits.maxHeaderBytes, DEFAULT_MIME_LIMITS.maxHeaderBytes, Number.MAX_SAFE_INTEGER),
  };
  const { root, fields, truncated } = parseStructure(raw, safe, meter);
  const subject = firstValue(fields, "subject");
  return {
    root,
    envelope: buildEnvelope(fields),
    messageId: messageIdOf(firstValue(fields, "message-id")),
    subject: subject === null ? null : decodeWords(subject),
    date: parseDate(firstValue(fields, "date")),
    truncated,
  };
}

/** RFC 5322 §3.6.4 msg-id: the first "<...>", else the value as written (legacy ids). */
function messageIdOf(value: string | null): string | null {
  if (value === null) return null;
  const lt = value.indexOf("<");
  const gt = lt === -1 ? -1 : value.indexOf(">", lt + 1);
  if (gt !== -1) return value.slice(lt, gt + 1);
  const v = value.trim();
  return v === "" ? null : v;
}
