// Entry point of the delivery-time MIME parse: raw bytes in, a JSON-serialisable structure out
// (envelope, body structure, part offsets) that FETCH serves without re-parsing (DESIGN §4).

import type { WorkMeter } from "./bytes.ts";
import { textPlain } from "./content-type.ts";
import { parseDate } from "./date.ts";
import { buildEnvelope } from "./envelope.ts";
import { firstValue } from "./header.ts";
import { DEFAULT_MIME_LIMITS, saneLimits } from "./limits.ts";
import { parseStructure } from "./structure.ts";
import type { MimeLimits, MimePart, ParsedMessage } from "./types.ts";
import { decodeWords } from "./words.ts";

/**
 * Parses a message once. Never throws: malformed input yields defaults (RFC 2045 §5.2) and a
 * limit reached stops parsing deeper with `truncated: true`. Pass a meter to count the work.
 */
export function parseMime(
  raw: Uint8Array,
  limits: MimeLimits = DEFAULT_MIME_LIMITS,
  meter: WorkMeter = { bytes: 0 },
): ParsedMessage {
  try {
    const { root, fields, truncated } = parseStructure(raw, saneLimits(limits), meter);
    const subject = firstValue(fields, "subject");
    return {
      root,
      envelope: buildEnvelope(fields),
      messageId: messageIdOf(firstValue(fields, "message-id")),
      subject: subject === null ? null : decodeWords(subject),
      date: parseDate(firstValue(fields, "date")),
      truncated,
    };
  } catch {
    // Last resort (e.g. an engine limit on a pathological header): delivery must not fail, so
    // the message is stored as one opaque text/plain body that FETCH can still serve.
    return opaque(raw);
  }
}

function opaque(raw: Uint8Array): ParsedMessage {
  const root: MimePart = {
    headerStart: 0,
    headerEnd: 0,
    bodyStart: 0,
    bodyEnd: raw.length,
    contentType: textPlain(),
    disposition: null,
    id: null,
    description: null,
    encoding: "7bit",
    language: null,
    location: null,
    md5: null,
    lines: 0,
    size: raw.length,
  };
  return { root, envelope: buildEnvelope([]), messageId: null, subject: null, date: null, truncated: true };
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
