// SpamAssassin's spamd protocol, SPAMC/1.5, as spamc speaks it (spamd/PROTOCOL in the
// SpamAssassin distribution; https://spamassassin.apache.org/full/4.0.x/doc/spamd.html):
//
//   SYMBOLS SPAMC/1.5␍␊ Content-length: <n>␍␊ [User: <name>␍␊] ␍␊ <message>
//   → SPAMD/1.1 0 EX_OK␍␊ Content-length: <n>␍␊ Spam: True ; 15.0 / 5.0␍␊ ␍␊ SYM_A,SYM_B
//
// A non-zero code in the status line is an error (sysexits.h numbers, e.g. 76 EX_PROTOCOL).
// Request building and response parsing are pure; `spamdCheck` is the socket exchange.

import { scannerExchange, type ScannerTarget } from "./scanner-socket.ts";
import { cleanSymbol, type SpamResult } from "./spam-action.ts";

export type SpamdTarget = ScannerTarget;

/** The request head for one message (spamc sends the User only when it knows one). */
export function spamdRequestHead(command: "SYMBOLS" | "CHECK" | "REPORT", length: number, user?: string): string {
  const u = user ? `User: ${user.replace(/[^\x21-\x7e]/g, "")}\r\n` : "";
  return `${command} SPAMC/1.5\r\nContent-length: ${length}\r\n${u}\r\n`;
}

export type SpamdResponse = {
  readonly code: number;
  readonly status: string;
  readonly spam: { readonly isSpam: boolean; readonly score: number; readonly threshold: number } | null;
  readonly body: string;
};

/** Parses a complete spamd response; throws when it is not one. */
export function parseSpamdResponse(text: string): SpamdResponse {
  const headEnd = text.indexOf("\r\n\r\n");
  const head = headEnd < 0 ? text.replace(/\r\n$/, "") : text.slice(0, headEnd);
  const body = headEnd < 0 ? "" : text.slice(headEnd + 4);
  const [statusLine = "", ...fields] = head.split("\r\n");
  const st = /^SPAMD\/(\d+\.\d+) (\d+) ?(.*)$/.exec(statusLine);
  if (!st) throw new Error(`not a spamd response: ${JSON.stringify(statusLine.slice(0, 60))}`);
  let spam: SpamdResponse["spam"] = null;
  for (const f of fields) {
    // "Spam: True ; 15.0 / 5.0" — spamd writes True/False (Yes/No in older versions).
    const m = /^Spam:\s*(True|False|Yes|No)\s*;\s*(-?\d+(?:\.\d+)?)\s*\/\s*(-?\d+(?:\.\d+)?)\s*$/i.exec(f);
    if (m) spam = { isSpam: /^(true|yes)$/i.test(m[1]!), score: Number(m[2]), threshold: Number(m[3]) };
  }
  return { code: Number(st[2]), status: st[3]!.slice(0, 200), spam, body };
}

/**
 * spamd's answer in rspamd's vocabulary, so both scanners share one action table: at or above
 * `rejectScore` → "reject"; spam by SpamAssassin's own threshold → "add header"; else "no action".
 */
export function spamdResult(r: SpamdResponse, rejectScore: number | null): SpamResult {
  if (r.code !== 0) throw new Error(`spamd error ${r.code}: ${r.status}`);
  if (!r.spam) throw new Error("spamd response without a Spam: line");
  const { score, threshold, isSpam } = r.spam;
  const action = rejectScore !== null && score >= rejectScore ? "reject" : isSpam ? "add header" : "no action";
  const symbols = r.body
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(cleanSymbol)
    .sort();
  return { scanner: "spamassassin", score, required: threshold, action, symbols };
}

/**
 * One SYMBOLS exchange: connect, send head + message, half-close (as spamc does), read the
 * answer until spamd closes — at most `maxReplyBytes`. `signal` aborts the socket.
 */
export function spamdExchange(target: SpamdTarget, message: Uint8Array, signal: AbortSignal, user?: string, maxReplyBytes = 256 * 1024): Promise<string> {
  return scannerExchange(target, signal, (sock, finish) => {
    const parts: Buffer[] = [];
    let total = 0;
    sock.on("error", (e) => finish(e));
    sock.on("connect", () => {
      sock.write(spamdRequestHead("SYMBOLS", message.length, user));
      sock.end(message);
    });
    sock.on("data", (d: Buffer) => {
      total += d.length;
      if (total > maxReplyBytes) return finish(new Error(`spamd reply larger than ${maxReplyBytes} bytes`));
      parts.push(d);
    });
    sock.on("end", () => finish(null, Buffer.concat(parts).toString("utf8")));
    sock.on("close", () => finish(new Error("spamd closed the connection")));
  });
}

export async function spamdCheck(target: SpamdTarget, message: Uint8Array, signal: AbortSignal, opts: { user?: string; rejectScore: number | null }): Promise<SpamResult> {
  return spamdResult(parseSpamdResponse(await spamdExchange(target, message, signal, opts.user)), opts.rejectScore);
}
