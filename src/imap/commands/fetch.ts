// FETCH / UID FETCH (RFC 9051 §6.4.5) with CHANGEDSINCE/VANISHED (RFC 7162 §3.1.4, §3.2.6):
// metadata in batches, bodies one message at a time, written with backpressure so that a
// 50 MiB message or 1:* on 10,000 messages keeps memory bounded.

import type { Executor } from "../dispatch.ts";
import type { Command, FetchAttribute } from "../../protocol/imap/types.ts";
import type { ImapSession } from "../session.ts";
import { formatSequenceSet } from "../../protocol/imap/sequence.ts";
import { getMessages, type MessageMeta } from "../../store/imap-messages.ts";
import { getBody } from "../../store/messages.ts";
import { storeFlags } from "../../store/imap-flags.ts";
import { vanishedSince } from "../../store/imap-changes.ts";
import { formatFlags, formatInternalDate, type ImapWriter } from "../../protocol/imap/serialize.ts";
import { writeEnvelope } from "../../protocol/imap/envelope.ts";
import { writeBody } from "../../protocol/imap/bodystructure.ts";
import { applyPartial, extractSection, rfc822Section, sectionKey } from "../../protocol/imap/fetch-body.ts";
import { binarySize, extractBinary, needsLiteral8 } from "../../protocol/imap/binary.ts";

type FetchCmd = Extract<Command, { name: "FETCH" }>;
const BATCH = 200;

function needsMime(attrs: readonly FetchAttribute[]): boolean {
  return attrs.some((a) => a.kind === "ENVELOPE" || a.kind === "BODY" || a.kind === "BODYSTRUCTURE" || a.kind === "BODY[]" || a.kind === "BINARY[]" || a.kind === "BINARY.SIZE" || a.kind.startsWith("RFC822."));
}

function needsRaw(attrs: readonly FetchAttribute[]): boolean {
  return attrs.some((a) => a.kind === "BODY[]" || a.kind === "BINARY[]" || a.kind === "BINARY.SIZE" || a.kind === "RFC822" || a.kind === "RFC822.HEADER" || a.kind === "RFC822.TEXT");
}

/** Only the top-level header is read (BODY[HEADER…], RFC822.HEADER): no need for the body. */
function headerOnly(attrs: readonly FetchAttribute[]): boolean {
  return attrs.every((a) => {
    if (a.kind === "RFC822.HEADER") return true;
    if (a.kind === "BODY[]") return a.section.part.length === 0 && a.section.text !== null && a.section.text.startsWith("HEADER");
    return !(a.kind === "BINARY[]" || a.kind === "BINARY.SIZE" || a.kind === "RFC822" || a.kind === "RFC822.TEXT");
  });
}

/** raw[0, bodyStart): the header block with its blank line, cut in SQL (no attachment bytes). */
async function headerBytes(s: ImapSession, hash: string, bodyStart: number): Promise<Uint8Array> {
  const res = await s.deps.db.client.execute({ sql: "SELECT substr(content, 1, ?) AS h FROM bodies WHERE hash = ?", args: [bodyStart, hash] });
  const h = res.rows[0]?.h;
  return h instanceof ArrayBuffer ? new Uint8Array(h) : ArrayBuffer.isView(h) ? new Uint8Array(h.buffer, h.byteOffset, h.byteLength) : new Uint8Array(0);
}

/** Attributes that set \Seen (RFC 9051 §6.4.5: BODY[] without .PEEK, RFC822, RFC822.TEXT, BINARY). */
function setsSeen(attrs: readonly FetchAttribute[]): boolean {
  return attrs.some((a) => ((a.kind === "BODY[]" || a.kind === "BINARY[]") && !a.peek) || a.kind === "RFC822" || a.kind === "RFC822.TEXT");
}

export const fetch: Executor<FetchCmd> = async (s, tag, cmd) => {
  const sel = s.selected!;
  const view = sel.view;
  if (!cmd.uid && view.outOfRange(cmd.set)) return s.tagged(tag, "BAD", "Invalid message sequence number");
  if (cmd.vanished && (!cmd.uid || !s.qresync || cmd.changedSince === null)) return s.tagged(tag, "BAD", "VANISHED needs UID FETCH, QRESYNC and CHANGEDSINCE");
  if (cmd.changedSince !== null) sel.condstore = true;
  const uids = view.resolve(cmd.set, cmd.uid, s.saved);
  const attrs = cmd.attributes;
  const withMime = needsMime(attrs);
  const withRaw = needsRaw(attrs);
  const onlyHeader = withRaw && headerOnly(attrs);
  const markSeen = setsSeen(attrs) && !sel.readOnly;
  const showModseq = sel.condstore || attrs.some((a) => a.kind === "MODSEQ");

  if (cmd.vanished) {
    const inSet = new Set(uids);
    const vanished = (await vanishedSince(s.deps.db, sel.mailboxId, cmd.changedSince!)).filter((u) => cmd.set.kind === "set" && cmd.set.ranges.some(([a, b]) => u >= Math.min(a, b) && u <= Math.max(a, b)) && !inSet.has(u));
    if (vanished.length > 0) await s.line(`* VANISHED (EARLIER) ${formatSequenceSet(vanished)}`);
  }

  for (let i = 0; i < uids.length; i += BATCH) {
    let metas = await getMessages(s.deps.db, sel.mailboxId, uids.slice(i, i + BATCH), { mime: withMime });
    if (cmd.changedSince !== null) metas = metas.filter((m) => m.modseq > cmd.changedSince!);
    if (markSeen) {
      const unseen = metas.filter((m) => !m.flags.includes("\\Seen")).map((m) => m.uid);
      if (unseen.length > 0) {
        const r = await storeFlags(s.deps.db, sel.mailboxId, unseen, "add", ["\\Seen"]);
        s.deps.hub.publishAll(r.changes.map((c) => ({ ...c, origin: s.id })));
        const updated = new Map(r.updated.map((u) => [u.uid, u]));
        metas = metas.map((m) => (updated.has(m.uid) ? { ...m, flags: updated.get(m.uid)!.flags, modseq: updated.get(m.uid)!.modseq } : m));
      }
    }
    for (const m of metas) {
      const seq = view.seqOf(m.uid);
      if (seq === 0) continue;
      const raw = !withRaw
        ? null
        : onlyHeader
          ? await headerBytes(s, m.bodyHash, m.mime!.root.bodyStart)
          : (await getBody(s.deps.db, m.bodyHash))?.content ?? new Uint8Array(0);
      const failure = await writeOne(s, seq, m, raw, attrs, cmd.uid, showModseq, markSeen);
      if (failure) return s.tagged(tag, failure.status, failure.text);
    }
  }
  await s.flushUpdates(cmd.uid);
  await s.tagged(tag, "OK", `${cmd.uid ? "UID FETCH" : "FETCH"} completed`);
};

async function writeOne(s: ImapSession, seq: number, m: MessageMeta, raw: Uint8Array | null, attrs: readonly FetchAttribute[], uid: boolean, showModseq: boolean, markedSeen: boolean): Promise<{ status: "NO" | "BAD"; text: string } | null> {
  const w = s.writer();
  w.atom("*").atom(seq).atom("FETCH").open();
  const recent = !s.rev2 && s.selected!.view.recent.has(m.uid) ? ["\\Recent"] : [];
  let flagsDone = false;
  // RFC 9051 §6.4.8: UID FETCH responses always include UID.
  if (uid && !attrs.some((a) => a.kind === "UID")) w.atom("UID").atom(m.uid);
  for (const a of attrs) {
    switch (a.kind) {
      case "UID":
        w.atom("UID").atom(m.uid);
        break;
      case "FLAGS":
        w.atom("FLAGS").atom(formatFlags([...m.flags, ...recent]));
        flagsDone = true;
        break;
      case "INTERNALDATE":
        w.atom("INTERNALDATE").atom(formatInternalDate(m.internalDate));
        break;
      case "RFC822.SIZE":
        w.atom("RFC822.SIZE").atom(m.size);
        break;
      case "MODSEQ":
        break;
      case "ENVELOPE":
        w.atom("ENVELOPE");
        writeEnvelope(w, m.mime!.envelope);
        break;
      case "BODY":
      case "BODYSTRUCTURE":
        w.atom(a.kind);
        writeBody(w, m.mime!.root, { extensible: a.kind === "BODYSTRUCTURE", rev2: s.rev2 });
        break;
      case "RFC822":
      case "RFC822.HEADER":
      case "RFC822.TEXT": {
        const { section } = rfc822Section(a.kind);
        w.atom(a.kind);
        body(w, extractSection(raw!, m.mime!, section));
        break;
      }
      case "BODY[]":
        w.atom(sectionKey("BODY", a.section, a.partial));
        body(w, partial(extractSection(raw!, m.mime!, a.section), a.partial));
        break;
      case "BINARY[]": {
        const r = extractBinary(raw!, m.mime!, a.section);
        if (!r.ok && r.error === "unknown-cte") return { status: "NO", text: `[UNKNOWN-CTE] Cannot decode ${r.encoding}` };
        if (!r.ok && r.error === "bad-section") return { status: "BAD", text: "Invalid BINARY section" };
        w.atom(sectionKey("BINARY", a.section, a.partial));
        if (!r.ok) w.nil();
        else {
          const bytes = applyPartial(r.bytes, a.partial);
          w.literal(bytes, needsLiteral8(bytes));
        }
        break;
      }
      case "BINARY.SIZE": {
        const r = binarySize(raw!, m.mime!, a.section);
        if (!r.ok && r.error === "unknown-cte") return { status: "NO", text: `[UNKNOWN-CTE] Cannot decode ${r.encoding}` };
        if (!r.ok && r.error === "bad-section") return { status: "BAD", text: "Invalid BINARY section" };
        w.atom(sectionKey("BINARY.SIZE", a.section, null)).atom(r.ok ? r.size : 0);
        break;
      }
    }
  }
  // RFC 9051 §6.4.5: when \Seen was set by this FETCH, the new FLAGS are returned too.
  if (!flagsDone && markedSeen) w.atom("FLAGS").atom(formatFlags([...m.flags, ...recent]));
  // RFC 7162 §3.1.4: with CONDSTORE, MODSEQ accompanies the message data.
  if (showModseq) w.atom("MODSEQ").atom(`(${m.modseq})`);
  w.close().crlf();
  await s.send(w);
  return null;
}

function partial(bytes: Uint8Array | null, p: { offset: number; length: number } | null): Uint8Array | null {
  return bytes === null ? null : applyPartial(bytes, p);
}

/** A body section: a literal (quoted would need escaping and size checks), NIL when absent. */
function body(w: ImapWriter, bytes: Uint8Array | null): void {
  if (bytes === null) w.string("");
  else w.literal(bytes);
}

