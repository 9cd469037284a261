// The socket plumbing clamd and spamd share: connect by TCP or unix socket, settle once,
// and let the handler's deadline (AbortSignal) tear the connection down.

import * as net from "node:net";

export type ScannerTarget = { readonly host: string; readonly port: number } | { readonly socket: string };

/** Settles the exchange once; later calls (close after end, error after a reply) are ignored. */
export type Finish = (err: unknown, text?: string) => void;

/**
 * Opens the connection and hands it to `talk`, which writes the request and calls `finish`
 * with the reply text (or an error). The socket is destroyed when the exchange settles.
 */
export function scannerExchange(target: ScannerTarget, signal: AbortSignal, talk: (sock: net.Socket, finish: Finish, settled: () => boolean) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const sock = "socket" in target ? net.connect({ path: target.socket }) : net.connect({ host: target.host, port: target.port });
    let settled = false;
    const finish: Finish = (err, text) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve(text!);
    };
    const onAbort = () => finish(signal.reason ?? new Error("aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    talk(sock, finish, () => settled);
  });
}
