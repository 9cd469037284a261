// SEARCH / UID SEARCH (RFC 9051 §6.4.4, RFC 3501 §6.4.4) with ESEARCH (RFC 4731, RFC 9051
// §7.3.4), SEARCHRES (RFC 5182) and CONDSTORE MODSEQ (RFC 7162 §3.1.5, §3.1.10).

import type { Executor } from "../dispatch.ts";
import type { Command, SearchKey } from "../../protocol/imap/types.ts";
import type { ImapSession } from "../session.ts";
import { runSearch, type SearchMatch } from "../search-run.ts";
import { formatSequenceSet } from "../../protocol/imap/sequence.ts";

type SearchCmd = Extract<Command, { name: "SEARCH" }>;

/** RFC 9051 §6.4.4: UTF-8 and US-ASCII; others get NO [BADCHARSET] listing what works. */
const CHARSETS = new Set(["UTF-8", "US-ASCII"]);

function usesModseq(key: SearchKey): boolean {
  switch (key.kind) {
    case "modseq":
      return true;
    case "not":
      return usesModseq(key.key);
    case "or":
      return usesModseq(key.a) || usesModseq(key.b);
    case "and":
      return key.keys.some(usesModseq);
    default:
      return false;
  }
}

export const search: Executor<SearchCmd> = async (s, tag, cmd) => {
  const sel = s.selected!;
  const saves = cmd.returns?.includes("SAVE") ?? false;
  if (cmd.charset !== null && !CHARSETS.has(cmd.charset.toUpperCase())) {
    // RFC 5182 §2.1: a failed SEARCH with SAVE leaves $ empty.
    if (saves) s.saved = [];
    return s.tagged(tag, "NO", "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
  }
  const modseq = usesModseq(cmd.key);
  // RFC 7162 §3.1: a SEARCH with MODSEQ is a CONDSTORE-enabling command.
  if (modseq) sel.condstore = true;
  let matches: SearchMatch[];
  try {
    matches = await runSearch({ db: s.deps.db, mailboxId: sel.mailboxId, view: sel.view, saved: s.saved, key: cmd.key, modseq });
  } catch (err) {
    if (saves) s.saved = [];
    throw err;
  }
  const esearch = cmd.returns !== null || s.rev2;
  if (esearch) await esearchResponse(s, tag, cmd, matches, modseq);
  else await s.line(`* SEARCH${matches.map((m) => ` ${cmd.uid ? m.uid : m.seq}`).join("")}${modseq && matches.length > 0 ? ` (MODSEQ ${highest(matches)})` : ""}`);
  // RFC 9051 §7.5.1: no EXPUNGE responses during SEARCH; UID SEARCH may carry them.
  await s.flushUpdates(cmd.uid);
  await s.tagged(tag, "OK", `${cmd.uid ? "UID SEARCH" : "SEARCH"} completed${saves ? ", result saved" : ""}`);
};

function highest(ms: readonly SearchMatch[]): number {
  let h = 0;
  for (const m of ms) if (m.modseq > h) h = m.modseq;
  return h;
}

/**
 * `* ESEARCH (TAG "t") [UID] MIN n MAX n COUNT n ALL set [MODSEQ n]` (RFC 4731 §3.1): MIN, MAX
 * and ALL are left out when nothing matched; "RETURN ()" arrives as ALL, and IMAP4rev2 with
 * no RETURN means ALL too. SAVE alone answers with no ESEARCH at all (RFC 5182 §2.1).
 */
async function esearchResponse(s: ImapSession, tag: string, cmd: SearchCmd, matches: SearchMatch[], modseq: boolean): Promise<void> {
  const opts = new Set(cmd.returns ?? ["ALL"]);
  const first = matches[0];
  const last = matches[matches.length - 1];
  const num = (m: SearchMatch) => (cmd.uid ? m.uid : m.seq);

  if (opts.has("SAVE")) {
    // RFC 5182 §2.1: with MIN and/or MAX but neither ALL nor COUNT, only those are saved.
    const onlyEnds = (opts.has("MIN") || opts.has("MAX")) && !opts.has("ALL") && !opts.has("COUNT");
    const saved = onlyEnds ? [...new Set([...(opts.has("MIN") && first ? [first.uid] : []), ...(opts.has("MAX") && last ? [last.uid] : [])])] : matches.map((m) => m.uid);
    s.saved = saved.sort((a, b) => a - b);
    opts.delete("SAVE");
    if (opts.size === 0) return;
  }

  const parts = [`* ESEARCH (TAG "${tag}")`];
  if (cmd.uid) parts.push("UID");
  if (opts.has("MIN") && first) parts.push(`MIN ${num(first)}`);
  if (opts.has("MAX") && last) parts.push(`MAX ${num(last)}`);
  if (opts.has("COUNT")) parts.push(`COUNT ${matches.length}`);
  if (opts.has("ALL") && matches.length > 0) parts.push(`ALL ${formatSequenceSet(matches.map(num))}`);
  if (modseq && matches.length > 0) {
    // RFC 7162 §3.1.10: the highest MODSEQ of what is returned — every match with ALL or
    // COUNT, otherwise just the MIN/MAX messages.
    const returned = opts.has("ALL") || opts.has("COUNT") ? matches : [...(opts.has("MIN") ? [first!] : []), ...(opts.has("MAX") ? [last!] : [])];
    if (returned.length > 0) parts.push(`MODSEQ ${highest(returned)}`);
  }
  await s.line(parts.join(" "));
}
