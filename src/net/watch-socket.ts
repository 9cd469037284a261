// Attaches a protocol driver to a socket: bytes in, end/close/error as one "gone" signal.
// Detaching removes the driver's listeners and no others, so STARTTLS can swap the socket
// while the listener's connection-slot release stays attached.

import type * as net from "node:net";

export type SocketDriver = {
  /** Bytes received; the driver may keep the view (it is never reused). */
  onSocketBytes(b: Uint8Array): void;
  /** EOF, close or error; may be called more than once (end, then close). */
  onSocketGone(err?: Error): void;
};

/**
 * The driver rides on the socket under this key and the listeners are module functions (an
 * EventEmitter calls a listener with `this` = the emitter), so watching a socket allocates
 * nothing per connection: an idle IMAP connection is held for hours, tens of thousands at once.
 */
const DRIVER = Symbol("hikyaku.socketDriver");

type Watched = net.Socket & { [DRIVER]?: SocketDriver | undefined };

function onData(this: Watched, chunk: Buffer): void {
  this[DRIVER]?.onSocketBytes(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
}

function onEnd(this: Watched): void {
  this[DRIVER]?.onSocketGone();
}

function onError(this: Watched, err: Error): void {
  this[DRIVER]?.onSocketGone(err);
}

/** Starts delivering `sock`'s events to `driver`; a socket carries at most one driver. */
export function attachDriver(sock: net.Socket, driver: SocketDriver): void {
  const s = sock as Watched;
  if (s[DRIVER]) throw new Error("socket already has a driver");
  s[DRIVER] = driver;
  s.on("data", onData);
  s.on("end", onEnd);
  s.on("close", onEnd);
  s.on("error", onError);
}

/** Removes exactly the listeners attachDriver added for `driver` (idempotent). */
export function detachDriver(sock: net.Socket, driver: SocketDriver): void {
  const s = sock as Watched;
  if (s[DRIVER] !== driver) return;
  // Undefined rather than `delete`: the socket keeps its shape (no dictionary mode).
  s[DRIVER] = undefined;
  s.off("data", onData);
  s.off("end", onEnd);
  s.off("close", onEnd);
  s.off("error", onError);
}

/**
 * The callback form (`bytes`/`gone`), returning the detach. It allocates an adapter and a
 * closure per call; long-lived connections should implement SocketDriver and use attachDriver.
 */
export function watchSocket(sock: net.Socket, on: { bytes(b: Uint8Array): void; gone(err?: Error): void }): () => void {
  const driver: SocketDriver = { onSocketBytes: (b) => on.bytes(b), onSocketGone: (err) => on.gone(err) };
  attachDriver(sock, driver);
  return () => detachDriver(sock, driver);
}
