// Recipient resolution for RCPT TO / LMTP: local account, alias expansion (recursive,
// loop-safe), plus-addressing and catch-all — or "remote" for domains we do not host.

import type { Db } from "../db/client.ts";
import { splitAddress } from "./address.ts";
import type { SplitAddress } from "./address.ts";
import { findAccount } from "./accounts.ts";
import { aliasDestinations } from "./aliases.ts";
import { isLocalDomain } from "./domains.ts";

export type LocalAccount = { id: number; address: string };

export type Resolution =
  /** Hosted here. `accounts` get the message; `remote` are alias targets elsewhere (to queue). */
  | { kind: "local"; accounts: LocalAccount[]; remote: string[] }
  /** A hosted domain with no such mailbox (RFC 5321 §3.3: 550 5.1.1). */
  | { kind: "unknown" }
  /** Not a hosted domain: relaying, which needs authentication (DESIGN §5). */
  | { kind: "remote" };

/** Alias hops followed before a branch is dropped. */
export const MAX_ALIAS_DEPTH = 10;

type Walk = {
  db: Db;
  accounts: Map<number, LocalAccount>;
  remote: Set<string>;
  visited: Set<string>;
  localDomains: Map<string, boolean>;
};

/**
 * Order for one address: exact account, exact alias, then the plus-address base
 * (`alice+tag@d` → `alice@d`: account, alias), then the catch-all `@d`. The local part is
 * literal: `%`, `!` and quotes are never routing (RFC 5321 §3.6.1, open-relay defence).
 * An alias whose expansion reaches nothing (only loops) resolves to "unknown".
 */
export async function resolveRecipient(db: Db, address: string): Promise<Resolution> {
  const a = splitAddress(address);
  if (a === null) return { kind: "unknown" };
  const walk: Walk = { db, accounts: new Map(), remote: new Set(), visited: new Set(), localDomains: new Map() };
  if (!(await isLocal(walk, a.domain))) return { kind: "remote" };
  await expand(walk, a, 0);
  if (walk.accounts.size === 0 && walk.remote.size === 0) return { kind: "unknown" };
  return { kind: "local", accounts: [...walk.accounts.values()], remote: [...walk.remote] };
}

async function isLocal(walk: Walk, domain: string): Promise<boolean> {
  let local = walk.localDomains.get(domain);
  if (local === undefined) {
    local = await isLocalDomain(walk.db, domain);
    walk.localDomains.set(domain, local);
  }
  return local;
}

/** The base of a plus-address, or null. Quoted local parts are never split. */
function plusBase(a: SplitAddress): string | null {
  if (a.local.startsWith('"')) return null;
  const plus = a.local.indexOf("+");
  return plus > 0 ? `${a.local.slice(0, plus)}@${a.domain}` : null;
}

async function expand(walk: Walk, a: SplitAddress, depth: number): Promise<void> {
  if (depth > MAX_ALIAS_DEPTH || walk.visited.has(a.address)) return;
  walk.visited.add(a.address);
  const base = plusBase(a);
  for (const candidate of base === null ? [a.address] : [a.address, base]) {
    const account = await findAccount(walk.db, candidate);
    if (account) {
      walk.accounts.set(account.id, { id: account.id, address: account.address });
      return;
    }
    const destinations = await aliasDestinations(walk.db, candidate);
    if (destinations.length > 0) {
      for (const d of destinations) await route(walk, d, depth + 1);
      return;
    }
  }
  const catchAll = `@${a.domain}`;
  if (walk.visited.has(catchAll)) return;
  walk.visited.add(catchAll);
  for (const d of await aliasDestinations(walk.db, catchAll)) await route(walk, d, depth + 1);
}

async function route(walk: Walk, destination: string, depth: number): Promise<void> {
  const d = splitAddress(destination);
  if (d === null) return;
  if (await isLocal(walk, d.domain)) await expand(walk, d, depth);
  else walk.remote.add(d.verbatim);
}
