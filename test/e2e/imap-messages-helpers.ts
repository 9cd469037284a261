// Shared pieces of the imap-messages*.test.ts transcripts: a loopback server with plaintext
// LOGIN, message builders, and APPEND/commands with literals sent as exact bytes.

import { expect } from "bun:test";
import { RawImap, type ImapResponse } from "../helpers/imap-client.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

export { RawImap, type ImapResponse };

export async function startImapServer(imap: { appendLimit?: number } = {}): Promise<TestServer> {
  return startTestServer({ auth: { allowPlaintextOnLoopback: true }, imap });
}

const enc = new TextEncoder();
let tagN = 0;

export type MessageSpec = {
  from?: string;
  to?: string;
  cc?: string;
  bcc?: string;
  subject?: string;
  date?: string;
  body?: string;
  headers?: string[];
};

/** A small RFC 5322 message with CRLF line ends. */
export function message(m: MessageSpec = {}): string {
  const h = [
    `From: ${m.from ?? "Alice <alice@example.test>"}`,
    `To: ${m.to ?? "Bob <bob@example.test>"}`,
    ...(m.cc ? [`Cc: ${m.cc}`] : []),
    ...(m.bcc ? [`Bcc: ${m.bcc}`] : []),
    `Subject: ${m.subject ?? "Hello"}`,
    `Date: ${m.date ?? "Mon, 1 Jan 2024 10:00:00 +0000"}`,
    `Message-ID: <${++tagN}.${Date.now()}@example.test>`,
    ...(m.headers ?? []),
  ];
  return h.join("\r\n") + "\r\n\r\n" + (m.body ?? "Body text.\r\n");
}

function bytes(s: string | Uint8Array): Uint8Array {
  return typeof s === "string" ? enc.encode(s) : s;
}

function concat(parts: (string | Uint8Array)[]): Uint8Array {
  const bs = parts.map(bytes);
  const out = new Uint8Array(bs.reduce((n, b) => n + b.length, 0));
  let p = 0;
  for (const b of bs) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

/**
 * Sends `tag <parts...>` where each Uint8Array/`{ lit }` part goes as a LITERAL+ literal
 * ({n+}, RFC 7888) and strings verbatim; returns the response up to the tagged line.
 */
export async function cmdLit(c: RawImap, parts: (string | { lit: string | Uint8Array; binary?: boolean })[], timeoutMs = 5000): Promise<ImapResponse> {
  const tag = `L${++tagN}`;
  const out: (string | Uint8Array)[] = [`${tag} `];
  for (const p of parts) {
    if (typeof p === "string") out.push(p);
    else {
      const b = bytes(p.lit);
      out.push(`${p.binary ? "~" : ""}{${b.length}+}\r\n`, b);
    }
  }
  out.push("\r\n");
  c.send(concat(out));
  return c.until(tag, timeoutMs);
}

export type AppendOptions = { flags?: string; date?: string; mailbox?: string };

/** APPEND with LITERAL+; expects OK and returns the APPENDUID uid. */
export async function append(c: RawImap, msg: string | Uint8Array, o: AppendOptions = {}): Promise<number> {
  const args = [`APPEND ${o.mailbox ?? "INBOX"} `];
  if (o.flags !== undefined) args.push(`(${o.flags}) `);
  if (o.date !== undefined) args.push(`"${o.date}" `);
  const r = await cmdLit(c, [...args, { lit: msg }]);
  expect(r.status).toBe("OK");
  const m = /\[APPENDUID \d+ (\d+)\]/.exec(r.text);
  expect(m).not.toBeNull();
  return Number(m![1]);
}

/** Logs in and selects (or examines) a mailbox; returns the connection and the SELECT response. */
export async function open(t: TestServer, mailbox = "INBOX", opts: { user?: string; examine?: boolean; enable?: string; select?: string } = {}): Promise<{ c: RawImap; sel: ImapResponse }> {
  const c = await RawImap.login(t.port("imap"), opts.user);
  if (opts.enable) expect((await c.cmd(`ENABLE ${opts.enable}`)).status).toBe("OK");
  const sel = await c.cmd(`${opts.examine ? "EXAMINE" : "SELECT"} ${mailbox}${opts.select ? " " + opts.select : ""}`);
  expect(sel.status).toBe("OK");
  return { c, sel };
}

/** The untagged lines matching a pattern. */
export function lines(r: ImapResponse, re: RegExp): string[] {
  return r.untagged.filter((l) => re.test(l));
}

/** FLAGS of a message by UID (sorted, for comparison). */
export async function flagsOf(c: RawImap, uid: number): Promise<string[]> {
  const r = await c.cmd(`UID FETCH ${uid} (FLAGS)`);
  expect(r.status).toBe("OK");
  const l = r.untagged.find((x) => new RegExp(`UID ${uid}\\b`).test(x) && /FLAGS \(/.test(x));
  expect(l).toBeDefined();
  const m = /FLAGS \(([^)]*)\)/.exec(l!)!;
  return m[1] === "" ? [] : m[1].split(" ").sort();
}

/** UIDs currently in the selected mailbox, in sequence order. */
export async function uidsOf(c: RawImap): Promise<number[]> {
  const r = await c.cmd("UID SEARCH ALL");
  expect(r.status).toBe("OK");
  const l = r.untagged.find((x) => x.startsWith("* SEARCH"));
  if (l) return l.slice(8).trim().split(" ").filter(Boolean).map(Number);
  const e = r.untagged.find((x) => x.startsWith("* ESEARCH"));
  const all = e ? / ALL (\S+)/.exec(e)?.[1] : undefined;
  if (!all) return [];
  return all.split(",").flatMap((p) => {
    const [a, b] = p.split(":").map(Number);
    if (b === undefined) return [a];
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}
