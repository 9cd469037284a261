// FETCH / UID FETCH (RFC 9051 §6.4.5) with CHANGEDSINCE/VANISHED (RFC 7162 §3.1.4, §3.2.6):
// metadata in batches, bodies one message at a time, written with backpressure so that a
// 50 MiB message or 1:* on 10,000 messages keeps memory bounded; header sections (a client's
// message list) from a bounded per-message cache, else cut from header blocks in SQL.

import type { Executor } from "../dispatch.ts";
import type { Command, FetchAttribute, FetchSection } from "../../protocol/imap/types.ts";
import type { ImapSession } from "../session.ts";
import { formatSequenceSet } from "../../protocol/imap/sequence.ts";
import { getMessages, headBlocks, type MessageMeta } from "../../store/imap-messages.ts";
import { getContent } from "../../store/messages.ts";
import type { ParsedMessage } from "../../protocol/mime/types.ts";
import { storeFlags } from "../../store/imap-flags.ts";
import { vanishedSince } from "../../store/imap-changes.ts";
import { formatFlags, formatInternalDate, type ImapWriter } from "../../protocol/imap/serialize.ts";
import { writeEnvelope } from "../../protocol/imap/envelope.ts";
import { writeBody } from "../../protocol/imap/bodystructure.ts";
import { applyPartial, extractSection, formatSection, rfc822Section, sectionKey } from "../../protocol/imap/fetch-body.ts";
import { ENTRY_OVERHEAD, headerSectionCache, messageKey } from "../body-cache.ts";
import { binarySize, extractBinary, needsLiteral8 } from "../../protocol/imap/binary.ts";

type FetchCmd = Extract<Command, { name: "FETCH" }>;
const BATCH = 200;

/** The stored MIME structure is needed: structure, offsets of a section, or decoding. */
function needsMime(attrs: readonly FetchAttribute[]): boolean {
  return attrs.some(
    (a) =>
      a.kind === "ENVELOPE" || a.kind === "BODY" || a.kind === "BODYSTRUCTURE" || a.kind === "BINARY[]" || a.kind === "BINARY.SIZE" || a.kind.startsWith("RFC822.") ||
      // BODY[] of the whole message is the raw bytes as they are.
      (a.kind === "BODY[]" && (a.section.part.length > 0 || a.section.text !== null)),
  );
}

/** More of the structure than the top-level header's offsets (which `head` brings along). */
function needsStructure(attrs: readonly FetchAttribute[]): boolean {
  return attrs.some((a) => a.kind === "ENVELOPE" || a.kind === "BODY" || a.kind === "BODYSTRUCTURE");
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

/** Just the root's header offsets: all a top-level HEADER / HEADER.FIELDS section reads. */
function headOnlyMime(h: NonNullable<MessageMeta["head"]>): ParsedMessage {
  return { root: { headerStart: h.headerStart, headerEnd: h.headerEnd, bodyStart: h.bodyStart, bodyEnd: h.bodyStart } } as unknown as ParsedMessage;
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

  // Header sections only: the header blocks come with the metadata, cut in SQL, in one query.
  const light = onlyHeader && !needsStructure(attrs);
  for (let i = 0; i < uids.length; i += BATCH) {
    let metas = await getMessages(s.deps.db, sel.mailboxId, uids.slice(i, i + BATCH), { mime: withMime && !light, head: onlyHeader && !light });
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
    const sections = light ? await headerSections(s, sel.mailboxId, metas, attrs) : null;
    for (const m of metas) {
      const seq = view.seqOf(m.uid);
      if (seq === 0) continue;
      // light: the sections come from `sections`, no raw bytes at all.
      let raw: Uint8Array | null = null;
      if (onlyHeader && !light) raw = m.head!.bytes;
      else if (withRaw && !onlyHeader) raw = (await getContent(s.deps.db, m.bodyHash)) ?? new Uint8Array(0);
      const failure = await writeOne(s, seq, m, raw, attrs, cmd.uid, showModseq, markSeen, sections?.get(m.uid));
      if (failure) return s.tagged(tag, failure.status, failure.text);
    }
  }
  await s.flushUpdates(cmd.uid);
  await s.tagged(tag, "OK", `${cmd.uid ? "UID FETCH" : "FETCH"} completed`);
};

/** The bytes of each top-level header section in `attrs`, keyed by formatSection(). */
type SectionBytes = ReadonlyMap<string, Uint8Array | null>;

function headerSpecs(attrs: readonly FetchAttribute[]): { spec: string; section: FetchSection }[] {
  const out: { spec: string; section: FetchSection }[] = [];
  for (const a of attrs) {
    const section = a.kind === "BODY[]" ? a.section : a.kind === "RFC822.HEADER" ? rfc822Section(a.kind).section : null;
    if (section) out.push({ spec: formatSection(section), section });
  }
  return out;
}

/**
 * Header sections of a batch (BODY[HEADER.FIELDS (…)], BODY[HEADER], RFC822.HEADER) by UID:
 * from headerSectionCache, the rest cut from header blocks read in one query.
 */
async function headerSections(s: ImapSession, mailboxId: number, metas: readonly MessageMeta[], attrs: readonly FetchAttribute[]): Promise<Map<number, SectionBytes>> {
  const specs = headerSpecs(attrs);
  const cache = headerSectionCache(s.deps.db);
  const out = new Map<number, SectionBytes>();
  const missing: MessageMeta[] = [];
  for (const m of metas) {
    const cached = cache.get(messageKey(mailboxId, m.uid));
    if (cached && specs.every(({ spec }) => cached.has(spec))) out.set(m.uid, cached);
    else missing.push(m);
  }
  if (missing.length === 0) return out;
  const heads = await headBlocks(s.deps.db, missing.map((m) => m.bodyHash));
  for (const m of missing) {
    const head = heads.get(m.bodyHash);
    const key = messageKey(mailboxId, m.uid);
    const got = new Map(cache.get(key) ?? []);
    let bytes = ENTRY_OVERHEAD;
    for (const { spec, section } of specs) {
      if (!head) {
        got.set(spec, new Uint8Array(0));
        continue;
      }
      // A copy: the cache must not keep the whole header block alive through a subarray.
      const cut = extractSection(head.bytes, headOnlyMime(head), section);
      got.set(spec, cut === null ? null : cut.slice());
    }
    for (const [spec, v] of got) bytes += spec.length + (v?.byteLength ?? 0);
    if (head) cache.set(key, got, bytes);
    out.set(m.uid, got);
  }
  return out;
}

async function writeOne(
  s: ImapSession,
  seq: number,
  m: MessageMeta,
  raw: Uint8Array | null,
  attrs: readonly FetchAttribute[],
  uid: boolean,
  showModseq: boolean,
  markedSeen: boolean,
  pre?: SectionBytes,
): Promise<{ status: "NO" | "BAD"; text: string } | null> {
  const section = (sec: FetchSection): Uint8Array | null => (pre ? pre.get(formatSection(sec)) ?? null : extractSection(raw!, m.mime!, sec));
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
        w.atom(a.kind);
        body(w, section(rfc822Section(a.kind).section));
        break;
      }
      case "BODY[]":
        w.atom(sectionKey("BODY", a.section, a.partial));
        body(w, partial(section(a.section), a.partial));
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

