// Terminal I/O for the CLI: stdout/stderr text, aligned tables, JSON, and reading a
// secret from stdin (piped: first line; TTY: raw mode, no echo).

import process from "node:process";

/** An expected failure reported as one line on stderr, with its exit code. */
export class CliError extends Error {
  readonly code = "CLI";
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

export function out(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : text + "\n");
}

export function err(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : text + "\n");
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** Columns padded to the widest cell; the last column is never padded. */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (r: readonly string[]) =>
    r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  out([fmt(headers), ...rows.map(fmt)].join("\n"));
}

export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "-";
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

export function stdinIsTty(): boolean {
  return process.stdin.isTTY === true;
}

/** The first line of a file or stream, without its line ending. */
export function firstLine(text: string): string {
  const nl = text.indexOf("\n");
  const line = nl >= 0 ? text.slice(0, nl) : text;
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** Reads piped stdin up to the first newline (or EOF), so an open pipe cannot hang us. */
export async function readStdinLine(): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of process.stdin) {
    text += typeof chunk === "string" ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
    if (text.includes("\n")) break;
  }
  return firstLine(text + decoder.decode());
}

/** Prompts on stderr and reads one line from the TTY in raw mode, echoing nothing. */
export function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  // Raw mode before the prompt: a key typed right after it must not be echoed.
  stdin.setEncoding("utf8");
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let chars: string[] = [];
    const finish = (fn: () => void) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      fn();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        switch (ch) {
          case "\r":
          case "\n":
            return finish(() => resolve(chars.join("")));
          case "\u0003": // Ctrl-C
          case "\u0004": // Ctrl-D
            return finish(() => reject(new CliError("aborted", 130)));
          case "\u007f":
          case "\b":
            chars = chars.slice(0, -1);
            break;
          case "\u0015": // Ctrl-U: clear the line
            chars = [];
            break;
          case "\u001b": // an escape sequence (arrow keys…): drop the rest of the chunk
            return;
          default:
            if (ch >= " ") chars.push(ch);
        }
      }
    };
    stdin.on("data", onData);
  });
}
