// LSUB (RFC 3501 §6.3.9): subscribed names matching the pattern. IMAP4rev2 deprecates it for
// LIST (SUBSCRIBED) (RFC 9051 Appendix E) but a client may still send it, so it still works.

import type { Executor } from "../dispatch.ts";
import type { Command } from "../../protocol/imap/types.ts";
import { listMailboxes } from "../../store/imap-status.ts";
import { listSubscriptions } from "../../store/imap-subscriptions.ts";
import { parentsOf } from "../../store/imap-names.ts";
import { badMailboxName } from "../list-common.ts";
import { compilePattern, decodePatternText } from "../list-pattern.ts";
import { compareNames } from "../list-tree.ts";

type LsubCmd = Extract<Command, { name: "LSUB" }>;

export const lsub: Executor<LsubCmd> = async (s, tag, cmd) => {
  const reference = decodePatternText(cmd.reference, s.utf8);
  const pattern = decodePatternText(cmd.pattern, s.utf8);
  if (reference === null || pattern === null) return badMailboxName(s, tag);
  const w = s.writer();
  if (pattern === "") {
    // As LIST "" "" (RFC 3501 §6.3.8): the delimiter, with an empty root.
    w.atom("*").atom("LSUB").atom("(\\Noselect)").string("/").astring("").crlf();
    await s.send(w);
    return s.tagged(tag, "OK", "LSUB completed");
  }
  const m = compilePattern(reference, pattern);
  const accountId = s.user!.id;
  const subscribed = new Set(await listSubscriptions(s.deps.db, accountId));
  const existing = new Set((await listMailboxes(s.deps.db, accountId, { counts: false })).map((x) => x.name));

  // name → attributes. A subscribed name that no longer exists cannot be selected: \Noselect.
  const out = new Map<string, string>();
  for (const n of subscribed) if (m.test(n)) out.set(n, existing.has(n) ? "()" : "(\\Noselect)");
  if (m.endsWithPercent) {
    // RFC 3501 §6.3.9: with "%" at the end, an unsubscribed superior of a subscribed name that
    // matches is returned with \Noselect ("foo" for a subscribed "foo/bar" and LSUB "" "%").
    for (const n of subscribed) for (const p of parentsOf(n)) if (!subscribed.has(p) && m.test(p)) out.set(p, "(\\Noselect)");
  }
  for (const n of [...out.keys()].sort(compareNames)) {
    w.atom("*").atom("LSUB").atom(out.get(n)!).string("/").astring(s.mailboxName(n)).crlf();
  }
  await s.send(w);
  await s.tagged(tag, "OK", "LSUB completed");
};
