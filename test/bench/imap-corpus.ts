// Deterministic message corpus for the IMAP bench: the same bytes, flags and dates go into our
// store and into Dovecot's Maildirs. Sizes are mail-like: mostly small text, some HTML
// alternatives, a few attachments (about 16 KiB on average).

import { rng } from "../helpers/rng.ts";

export const BENCH_DOMAIN = "bench.test";
export const BENCH_PASSWORD = "bench-pw";

export function userName(i: number): string {
  return `u${String(i + 1).padStart(3, "0")}@${BENCH_DOMAIN}`;
}

/** Words used in subjects; SEARCH SUBJECT looks for one of them. */
export const SUBJECT_WORDS = [
  "invoice", "meeting", "report", "quarterly", "release", "review", "budget", "travel", "contract", "holiday",
  "offsite", "roadmap", "incident", "deploy", "backup", "security", "newsletter", "webinar", "password", "shipping",
  "order", "receipt", "agenda", "minutes", "proposal", "feedback", "survey", "onboarding", "renewal", "migration",
];

const LOREM = (
  "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna " +
  "aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute " +
  "irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non " +
  "proident sunt culpa qui officia deserunt mollit anim id est laborum"
).split(" ");

const NAMES = ["Alice Martin", "Bob Tanaka", "Carol Diaz", "Dmitri Ivanov", "Eve Okafor", "Farid Haddad", "Grace Liu", "Hiro Sato", "Ines Costa", "Jon Berg"];

export { rng };

// Pools cut into slices, so building 20k messages costs little.
const TEXT_POOL = (() => {
  const r = rng(7);
  const lines: string[] = [];
  let line = "";
  while (lines.length < 8000) {
    const w = LOREM[Math.floor(r() * LOREM.length)];
    if (line.length + w.length + 1 > 72) {
      lines.push(line);
      line = "";
    }
    line += (line ? " " : "") + w;
  }
  return lines;
})();

const B64_POOL = (() => {
  const r = rng(11);
  const bytes = new Uint8Array(300 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
  return Buffer.from(bytes).toString("base64").match(/.{1,76}/g)!;
})();

function text(r: () => number, bytes: number): string {
  const out: string[] = [];
  let n = 0;
  let i = Math.floor(r() * (TEXT_POOL.length - 1));
  while (n < bytes) {
    const l = TEXT_POOL[i++ % TEXT_POOL.length];
    out.push(l);
    n += l.length + 2;
  }
  return out.join("\r\n");
}

function html(r: () => number, bytes: number): string {
  const paras: string[] = [];
  let n = 60;
  while (n < bytes) {
    const p = `<p style="margin:0 0 12px 0;font-family:Arial,sans-serif">${text(r, 300).replace(/\r\n/g, " ")}</p>`;
    paras.push(p);
    n += p.length + 2;
  }
  return `<html><head><meta charset="utf-8"></head><body>\r\n${paras.join("\r\n")}\r\n</body></html>`;
}

function attachment(r: () => number, bytes: number): string {
  const lines = Math.ceil(bytes / 78);
  const start = Math.floor(r() * Math.max(1, B64_POOL.length - lines));
  return B64_POOL.slice(start, start + lines).join("\r\n");
}

export type CorpusMessage = { raw: Uint8Array; seen: boolean; date: number; subjectWord: string };

const DAY = 86_400_000;
const BASE_DATE = Date.UTC(2025, 0, 1);

function headers(r: () => number, to: string, id: string, date: number, subject: string): string {
  const from = NAMES[Math.floor(r() * NAMES.length)];
  const fromAddr = `${from.split(" ")[0].toLowerCase()}@example.org`;
  const d = new Date(date).toUTCString().replace("GMT", "+0000");
  const sig = attachment(r, 344).replace(/\r\n/g, "");
  return [
    `Return-Path: <${fromAddr}>`,
    `Received: from mail.example.org (mail.example.org [192.0.2.25])\r\n\tby mx.${BENCH_DOMAIN} with ESMTPS id ${id.slice(0, 12)}\r\n\tfor <${to}>; ${d}`,
    `Received: from [10.1.2.3] (client.example.org [10.1.2.3])\r\n\tby mail.example.org with ESMTPSA id ${id.slice(4, 16)}; ${d}`,
    `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=sel1;\r\n\th=from:to:subject:date:message-id; bh=${sig.slice(0, 44)};\r\n\tb=${sig.slice(44, 120)}\r\n\t ${sig.slice(120, 200)}\r\n\t ${sig.slice(200, 300)}`,
    `From: ${from} <${fromAddr}>`,
    `To: <${to}>`,
    `Subject: ${subject}`,
    `Date: ${d}`,
    `Message-ID: <${id}@example.org>`,
    "MIME-Version: 1.0",
  ].join("\r\n");
}

/** Message `i` of `user`'s INBOX; the same arguments always give the same bytes. */
export function corpusMessage(user: string, userIndex: number, i: number): CorpusMessage {
  const r = rng(userIndex * 1_000_003 + i * 7919 + 1);
  const word = SUBJECT_WORDS[Math.floor(r() * SUBJECT_WORDS.length)];
  const subject = `Re: ${word} ${LOREM[Math.floor(r() * LOREM.length)]} ${LOREM[Math.floor(r() * LOREM.length)]} #${i}`;
  const date = BASE_DATE + Math.floor(i * (365 * DAY) / 2000) + Math.floor(r() * 3_600_000);
  const id = `${userIndex.toString(36)}.${i.toString(36)}.${Math.floor(r() * 2 ** 48).toString(36).padStart(10, "0")}`;
  const head = headers(r, user, id, date, subject);
  const kind = r();
  let rest: string;
  if (kind < 0.65) {
    rest = `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${text(r, 1024 + Math.floor(r() * 5 * 1024))}\r\n`;
  } else if (kind < 0.93) {
    const b = `alt-${id}`;
    const size = 6 * 1024 + Math.floor(r() * 24 * 1024);
    rest =
      `Content-Type: multipart/alternative; boundary="${b}"\r\n\r\n--${b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text(r, size / 3)}\r\n` +
      `--${b}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html(r, (size * 2) / 3)}\r\n--${b}--\r\n`;
  } else {
    const b = `mix-${id}`;
    rest =
      `Content-Type: multipart/mixed; boundary="${b}"\r\n\r\n--${b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text(r, 2048)}\r\n` +
      `--${b}\r\nContent-Type: application/pdf; name="${word}.pdf"\r\nContent-Disposition: attachment; filename="${word}.pdf"\r\n` +
      `Content-Transfer-Encoding: base64\r\n\r\n${attachment(r, 40 * 1024 + Math.floor(r() * 160 * 1024))}\r\n--${b}--\r\n`;
  }
  return { raw: Buffer.from(`${head}\r\n${rest}`, "latin1"), seen: r() < 0.7, date, subjectWord: word };
}

/** A ~4 KiB text message for APPEND during the load. */
export function appendMessage4k(user: string, client: number, n: number): Uint8Array {
  const r = rng(client * 65_537 + n);
  const word = SUBJECT_WORDS[Math.floor(r() * SUBJECT_WORDS.length)];
  const id = `append.${client}.${n}.${Math.floor(r() * 2 ** 40).toString(36)}`;
  const head = headers(r, user, id, BASE_DATE + 400 * DAY + n * 1000, `${word} draft ${client}/${n}`);
  const start = `${head}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n`;
  let body = text(r, 4096 - start.length);
  body = body.slice(0, Math.max(0, 4096 - start.length - 2)).replace(/\r$/, "");
  return Buffer.from(`${start}${body}\r\n`, "latin1");
}
