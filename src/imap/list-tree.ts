// The account's name space as LIST sees it (RFC 9051 §6.3.9, RFC 5258 §3): existing
// mailboxes, subscribed names (which may not exist) and every superior level of either.

import type { MailboxStatus } from "../store/imap-status.ts";
import { parentsOf } from "../store/imap-names.ts";

export type TreeEntry = {
  readonly name: string;
  /** The mailbox, or null for a name that does not exist (only subscribed, or a mere level). */
  readonly mailbox: MailboxStatus | null;
  subscribed: boolean;
  /** An existing mailbox lies below it (RFC 3348 / RFC 5258 §4 \HasChildren). */
  hasChildren: boolean;
};

/** INBOX first (RFC 9051 §5.1 special name), then by name. */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  if (a === "INBOX") return -1;
  if (b === "INBOX") return 1;
  return a < b ? -1 : 1;
}

/** Entries by name; `subscriptions` add (possibly non-existent) names and their levels. */
export function buildTree(mailboxes: readonly MailboxStatus[], subscriptions: readonly string[] = []): Map<string, TreeEntry> {
  const tree = new Map<string, TreeEntry>();
  const entry = (name: string): TreeEntry => {
    let e = tree.get(name);
    if (!e) tree.set(name, (e = { name, mailbox: null, subscribed: false, hasChildren: false }));
    return e;
  };
  for (const m of mailboxes) {
    tree.set(m.name, { name: m.name, mailbox: m, subscribed: m.subscribed, hasChildren: tree.get(m.name)?.hasChildren ?? false });
    for (const p of parentsOf(m.name)) entry(p).hasChildren = true;
  }
  for (const n of subscriptions) {
    entry(n).subscribed = true;
    for (const p of parentsOf(n)) entry(p);
  }
  return tree;
}

/** The entries in listing order. */
export function sortedEntries(tree: Map<string, TreeEntry>): TreeEntry[] {
  return [...tree.values()].sort((a, b) => compareNames(a.name, b.name));
}
