// Shared pieces of the imap-mailboxes*.test.ts transcripts: a loopback server, a fresh
// account per test (so tests do not see each other's mailboxes), messages put in directly.

import { expect } from "bun:test";
import { RawImap, type ImapResponse } from "../helpers/imap-client.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { appendMessage } from "../../src/store/imap-append.ts";

export { RawImap, type ImapResponse, type TestServer };

export function startImapServer(): Promise<TestServer> {
  return startTestServer({ auth: { allowPlaintextOnLoopback: true } });
}

export type Fresh = { c: RawImap; id: number; user: string; login(): Promise<RawImap> };

let n = 0;

/** A new account (default mailboxes INBOX, Sent, Drafts, Junk, Trash, Archive) and a session. */
export async function fresh(t: TestServer): Promise<Fresh> {
  const user = `u${++n}x${Date.now().toString(36)}@example.test`;
  const { id } = await addAccount(t.server.db, user, "pw");
  const login = () => RawImap.login(t.port("imap"), user, "pw");
  return { c: await login(), id, user, login };
}

/** The client reads latin1; names and text sent as UTF-8 come back readable this way. */
export function utf8(s: string): string {
  return Buffer.from(s, "latin1").toString("utf8");
}

/** Untagged lines of a response, decoded as UTF-8. */
export function lines(r: ImapResponse): string[] {
  return r.untagged.map(utf8);
}

/** Appends a message straight into the store (APPEND is another command's business); its size. */
export async function put(t: TestServer, accountId: number, mailbox: string, body: string, flags: string[] = []): Promise<number> {
  const raw = new TextEncoder().encode(`Subject: test\r\nFrom: a@example.test\r\n\r\n${body}\r\n`);
  await appendMessage(t.server.db, accountId, mailbox, raw, flags);
  return raw.byteLength;
}

/** A tagged `NO [code] ...` to match with toMatchObject. */
export function no(code: string): { status: string; text: unknown } {
  return { status: "NO", text: expect.stringMatching(new RegExp(`^\\[${code}\\] `)) };
}

/** Names from `* LIST|LSUB (...) "/" name` lines, in order (quotes removed). */
export function listNames(r: ImapResponse): string[] {
  return lines(r)
    .filter((l) => l.startsWith("* LIST ") || l.startsWith("* LSUB "))
    .map((l) => {
      const m = /^\* L(?:IST|SUB) \([^)]*\) "\/" (.*?)(?: \(".*)?$/.exec(l);
      const raw = m ? m[1] : l;
      return raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(["\\])/g, "$1") : raw;
    });
}
