// LIST (RFC 9051 §6.3.9) with LIST-EXTENDED (RFC 5258): selection options SUBSCRIBED,
// RECURSIVEMATCH, SPECIAL-USE (RFC 6154 §3), REMOTE (no remote mailboxes here); return
// options SUBSCRIBED, CHILDREN, SPECIAL-USE, STATUS (LIST-STATUS, RFC 5819); several patterns.

import type { Executor } from "../dispatch.ts";
import type { Command, StatusItem } from "../../protocol/imap/types.ts";
import type { ImapWriter } from "../../protocol/imap/serialize.ts";
import { listMailboxes } from "../../store/imap-status.ts";
import { listSubscriptions } from "../../store/imap-subscriptions.ts";
import { parentsOf } from "../../store/imap-names.ts";
import type { ImapSession } from "../session.ts";
import { badMailboxName } from "../list-common.ts";
import { compilePattern, decodePatternText } from "../list-pattern.ts";
import { buildTree, sortedEntries, type TreeEntry } from "../list-tree.ts";
import { noteStatusItems, statusItemsProblem, writeStatus } from "../list-status.ts";

type ListCmd = Extract<Command, { name: "LIST" }>;

export const list: Executor<ListCmd> = async (s, tag, cmd) => {
  const reference = decodePatternText(cmd.reference, s.utf8);
  const patterns = cmd.patterns.map((p) => decodePatternText(p, s.utf8));
  if (reference === null || patterns.some((p) => p === null)) return badMailboxName(s, tag);
  const selection = new Set(cmd.selection);
  let statusItems: readonly StatusItem[] | null = null;
  for (const r of cmd.returns) if (typeof r === "object") statusItems = r.status;
  if (statusItems) {
    const problem = statusItemsProblem(s, statusItems);
    if (problem) return s.tagged(tag, "BAD", problem);
  }

  const w = s.writer();
  if (patterns.length === 1 && patterns[0] === "" && !selection.has("SUBSCRIBED") && !selection.has("SPECIAL-USE")) {
    // RFC 9051 §6.3.9: an empty pattern asks for the delimiter and the reference's root;
    // our names are not rooted, so the root is "" (RFC 3501 §6.3.8: MAY be the empty string).
    w.atom("*").atom("LIST").atom("(\\Noselect)").string("/").astring("").crlf();
    await s.send(w);
    return s.tagged(tag, "OK", "LIST completed");
  }

  const subscribedSel = selection.has("SUBSCRIBED");
  const specialSel = selection.has("SPECIAL-USE");
  const recursive = selection.has("RECURSIVEMATCH");
  // RFC 5258 §3.1/§4: \Subscribed is computed when SUBSCRIBED is selected or asked to return.
  const showSubscribed = subscribedSel || cmd.returns.includes("SUBSCRIBED");
  const matchers = (patterns as string[]).map((p) => compilePattern(reference, p));
  const matches = (name: string) => matchers.some((m) => m.test(name));

  // Only this account's mailboxes and subscriptions: nothing else can ever be listed.
  const accountId = s.user!.id;
  const mailboxes = await listMailboxes(s.deps.db, accountId, { counts: statusItems !== null });
  const tree = buildTree(mailboxes, subscribedSel ? await listSubscriptions(s.deps.db, accountId) : []);

  // RFC 5258 §3: selection options are ANDed; without SUBSCRIBED the base criterion is existence.
  const meets = (e: TreeEntry) => (subscribedSel ? e.subscribed : e.mailbox !== null) && (!specialSel || e.mailbox?.specialUse != null);

  // RFC 5258 §3.5 RECURSIVEMATCH: a matching name whose descendant meets the criteria without
  // matching the pattern is returned with CHILDINFO (only then: redundant ones are suppressed).
  const childInfo = new Set<string>();
  if (recursive) {
    for (const e of tree.values()) if (meets(e) && !matches(e.name)) for (const p of parentsOf(e.name)) childInfo.add(p);
  }
  const childInfoTags = [...(subscribedSel ? ["SUBSCRIBED"] : []), ...(specialSel ? ["SPECIAL-USE"] : [])];

  for (const e of sortedEntries(tree)) {
    if (!matches(e.name)) continue;
    const info = childInfo.has(e.name);
    let absent: "\\NonExistent" | "\\Noselect" = "\\NonExistent";
    if (!meets(e) && !info) {
      // RFC 9051 §6.3.9: a trailing "%" also returns matching levels of hierarchy; a level that
      // is no mailbox comes with \Noselect. (Only plain listing: the selection options have
      // RECURSIVEMATCH for this, RFC 5258 §3.)
      const level = !subscribedSel && !specialSel && e.mailbox === null && e.hasChildren && matchers.some((m) => m.endsWithPercent && m.test(e.name));
      if (!level) continue;
      absent = "\\Noselect";
    }
    writeList(w, s, e, { absent, showSubscribed, childInfo: info ? childInfoTags : null });
    // RFC 5819 §2: STATUS follows its LIST line, and only for selectable mailboxes.
    if (statusItems && e.mailbox) writeStatus(w, s, e.mailbox, statusItems);
  }
  if (statusItems) noteStatusItems(s, statusItems);
  await s.send(w);
  await s.tagged(tag, "OK", "LIST completed");
};

type LineOptions = { absent: "\\NonExistent" | "\\Noselect"; showSubscribed: boolean; childInfo: readonly string[] | null };

/**
 * `* LIST (<attrs>) "/" <name> [("CHILDINFO" (...))]` (RFC 9051 §7.3.1, RFC 5258 §3.5).
 * Children attributes are always sent (CHILDREN, RFC 3348; RFC 9051 §7.3.1) and special-use
 * attributes too: RFC 6154 §2 lets a server return them without RETURN (SPECIAL-USE), and
 * IMAP4rev2 has them in the base LIST (RFC 9051 §7.3.1).
 */
function writeList(w: ImapWriter, s: ImapSession, e: TreeEntry, o: LineOptions): void {
  const attrs: string[] = [];
  if (!e.mailbox) attrs.push(o.absent);
  if (o.showSubscribed && e.subscribed) attrs.push("\\Subscribed");
  if (e.hasChildren) attrs.push("\\HasChildren");
  else if (e.mailbox) attrs.push("\\HasNoChildren");
  if (e.mailbox?.specialUse) attrs.push(e.mailbox.specialUse);
  w.atom("*").atom("LIST").atom(`(${attrs.join(" ")})`).string("/").astring(s.mailboxName(e.name));
  if (o.childInfo) {
    w.open().string("CHILDINFO").open();
    for (const t of o.childInfo) w.string(t);
    w.close().close();
  }
  w.crlf();
}
