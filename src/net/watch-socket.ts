// Attaches a protocol driver to a socket: bytes in, end/close/error as one "gone" signal.
// Returns the exact detach, so STARTTLS can remove the driver's listeners and no others
// (the listener's connection-slot release must stay attached).

import type * as net from "node:net";

export function watchSocket(sock: net.Socket, on: { bytes(b: Uint8Array): void; gone(err?: Error): void }): () => void {
  const onData = (chunk: Buffer) => on.bytes(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  const onEnd = () => on.gone();
  const onError = (err: Error) => on.gone(err);
  sock.on("data", onData);
  sock.on("end", onEnd);
  sock.on("close", onEnd);
  sock.on("error", onError);
  return () => {
    sock.off("data", onData);
    sock.off("end", onEnd);
    sock.off("close", onEnd);
    sock.off("error", onError);
  };
}
