// clamd's INSTREAM command (clamd(8), "COMMANDS"; https://docs.clamav.net/manual/Usage/Scanning.html):
// "zINSTREAM\0", then chunks each prefixed by its length as a 4-byte unsigned big-endian
// integer, ended by a zero-length chunk. With the `z` prefix the reply is NUL-terminated:
//   "stream: OK" | "stream: <Name> FOUND" | "INSTREAM size limit exceeded. ERROR" | "... ERROR".
// clamd closes the connection once a stream passes its StreamMaxLength. Framing and reply
// parsing are pure; `clamdInstream` is the socket exchange.

import { scannerExchange, type ScannerTarget } from "./scanner-socket.ts";

export type ClamdTarget = ScannerTarget;

export const INSTREAM_COMMAND = "zINSTREAM\0";

/** The chunk frames for one message, ending with the zero-length chunk; views, no copies of the data. */
export function* instreamFrames(message: Uint8Array, chunkSize = 64 * 1024): Generator<Uint8Array> {
  if (chunkSize < 1) throw new RangeError("chunkSize must be positive");
  for (let off = 0; off < message.length; off += chunkSize) {
    const chunk = message.subarray(off, Math.min(off + chunkSize, message.length));
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, chunk.length, false);
    yield len;
    yield chunk;
  }
  yield new Uint8Array(4);
}

export type ClamdVerdict =
  | { readonly kind: "clean" }
  | { readonly kind: "infected"; readonly name: string }
  | { readonly kind: "too-large" }
  | { readonly kind: "error"; readonly text: string };

/** A virus name fit for an SMTP reply and a trace: no controls, no spaces, at most 100 characters. */
export function sanitizeVirusName(name: string): string {
  return name.replace(/[^A-Za-z0-9._:\/+\-]/g, "_").slice(0, 100) || "unknown";
}

export function parseClamdReply(raw: string): ClamdVerdict {
  const text = raw.replace(/\0[\s\S]*$/, "").trim();
  if (/^INSTREAM size limit exceeded\.? ERROR$/i.test(text)) return { kind: "too-large" };
  if (/ ERROR$/.test(text)) return { kind: "error", text: text.replace(/[^\x20-\x7e]/g, "").slice(0, 200) };
  const m = /^(?:stream: )?([\s\S]*) FOUND$/.exec(text);
  if (m) return { kind: "infected", name: sanitizeVirusName(m[1]!) };
  if (/^(?:stream: )?OK$/.test(text)) return { kind: "clean" };
  return { kind: "error", text: `unexpected reply ${JSON.stringify(text.slice(0, 80))}` };
}

/**
 * Streams `message` to clamd and returns its raw reply (up to the NUL, at most `maxReplyBytes`).
 * Writes wait for the socket to drain, so at most one chunk is buffered at a time. If clamd
 * answers early (size limit) and closes, the answer wins over the broken pipe.
 */
export function clamdInstream(target: ClamdTarget, message: Uint8Array, signal: AbortSignal, chunkSize = 64 * 1024, maxReplyBytes = 4096): Promise<string> {
  return scannerExchange(target, signal, (sock, finish, settled) => {
    let reply = "";
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      reply += d;
      if (reply.includes("\0")) finish(null, reply);
      else if (reply.length > maxReplyBytes) finish(new Error(`clamd reply larger than ${maxReplyBytes} bytes`));
    });
    sock.on("error", (e) => (reply ? finish(null, reply) : finish(e)));
    sock.on("close", () => (reply ? finish(null, reply) : finish(new Error("clamd closed the connection without a reply"))));
    sock.on("connect", async () => {
      sock.write(INSTREAM_COMMAND);
      for (const frame of instreamFrames(message, chunkSize)) {
        if (settled() || sock.destroyed) return;
        if (!sock.write(frame)) {
          await new Promise<void>((r) => {
            const done = () => {
              sock.off("drain", done);
              sock.off("close", done);
              r();
            };
            sock.on("drain", done);
            sock.on("close", done);
          });
        }
      }
    });
  });
}

export async function clamdScan(target: ClamdTarget, message: Uint8Array, signal: AbortSignal, chunkSize?: number): Promise<ClamdVerdict> {
  return parseClamdReply(await clamdInstream(target, message, signal, chunkSize));
}
