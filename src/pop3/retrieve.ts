// RETR and TOP on the wire (RFC 1939 §7): the stored message read in bounded pieces,
// encoded (CRLF, byte-stuffing) slice by slice and written with backpressure, so a slow
// reader never makes the server hold more than one read piece and one encoded slice.

import { MessageEncoder, type EncoderOptions } from "../protocol/pop3/message-encoder.ts";
import type { Maildrop } from "../protocol/pop3/types.ts";
import type { Wanted } from "./body-reader.ts";
import { concatBytes } from "../protocol/bytes.ts";

/** Input octets encoded per write: large enough for throughput, small next to 50 MiB. */
export const SLICE_BYTES = 256 * 1024;

/** Where encoded bytes go; resolves when the transport can take more (backpressure). */
export type Sink = (bytes: Uint8Array) => Promise<void>;

/**
 * Sends `head` and the encoded message through `sink`. A small message goes out as one
 * write with its head and terminator; a larger one slice by slice, each write awaited.
 * `opts.bodyLines` limits the body (TOP); reading stops once those lines are out.
 */
export async function sendMessage(sink: Sink, head: Uint8Array, chunks: AsyncIterable<Uint8Array>, opts: EncoderOptions = {}): Promise<void> {
  const enc = new MessageEncoder(opts);
  let pending: Uint8Array[] = [head];
  let pendingBytes = head.length;
  for await (const chunk of chunks) {
    for (let off = 0; off < chunk.length && !enc.done; off += SLICE_BYTES) {
      const out = enc.push(chunk.subarray(off, off + SLICE_BYTES));
      pending.push(out);
      pendingBytes += out.length;
      if (pendingBytes >= SLICE_BYTES) {
        await sink(concatBytes(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
      }
    }
    if (enc.done) break;
  }
  pending.push(enc.end());
  await sink(concatBytes(pending));
}

/** The messages after `uid` not yet retrieved nor deleted: a sequential client's next RETRs. */
export function upcoming(d: Maildrop | null, uid: number, max = 32): Wanted[] {
  const list = d?.messages ?? [];
  const at = list.findIndex((m) => m.uid === uid);
  const out: Wanted[] = [];
  for (let i = at + 1; at >= 0 && i < list.length && out.length < max; i++) {
    const m = list[i];
    if (!m.deleted && !m.retrieved) out.push({ uid: m.uid, hash: m.bodyHash, size: m.storedSize });
  }
  return out;
}
