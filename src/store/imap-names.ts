// Mailbox name rules (hierarchy delimiter "/", RFC 9051 §5.1) and the SQL that matches a
// mailbox together with its inferiors. Names are UTF-8 and stored exactly, except INBOX.

import { normalizeMailboxName } from "./mailboxes.ts";
import { ImapStoreError } from "./imap-errors.ts";

export const DELIMITER = "/";
/** UTF-8 bytes of a whole name, and hierarchy levels; both far above what clients use. */
export const MAX_NAME_BYTES = 1024;
export const MAX_NAME_LEVELS = 32;

const utf8 = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The canonical stored form of a name, or an ImapStoreError CANNOT. Refused: empty levels
 * (leading/trailing/double "/"), the LIST wildcards "*" and "%" (RFC 9051 §5.1: a name with
 * them could not be listed unambiguously), "." and ".." levels (path traversal in any
 * file-backed export), control characters, lone surrogates, and over-long names.
 */
export function validateMailboxName(name: string): string {
  const bad = (why: string): never => {
    throw new ImapStoreError("CANNOT", `invalid mailbox name ${JSON.stringify(name)}: ${why}`);
  };
  if (LONE_SURROGATE.test(name)) bad("not valid UTF-8");
  if (utf8.encode(name).byteLength > MAX_NAME_BYTES) bad("too long");
  if (/[*%]/.test(name)) bad("contains a wildcard");
  if (/[\u0000-\u001f\u007f]/.test(name)) bad("contains a control character");
  const levels = name.split(DELIMITER);
  if (levels.length > MAX_NAME_LEVELS) bad("too deep");
  for (const l of levels) {
    if (l === "") bad("empty hierarchy level");
    if (l === "." || l === "..") bad("relative path level");
  }
  const n = normalizeMailboxName(name);
  if (n === null) bad("rejected");
  return n as string;
}

/** Lookup form: INBOX in any case (RFC 9051 §5.1), otherwise exact; null if invalid. */
export function lookupName(name: string): string | null {
  try {
    return validateMailboxName(name);
  } catch {
    return null;
  }
}

/** Superiors of `name`, outermost first: "a/b/c" → ["a", "a/b"]. */
export function parentsOf(name: string): string[] {
  const levels = name.split(DELIMITER);
  const out: string[] = [];
  for (let i = 1; i < levels.length; i++) out.push(levels.slice(0, i).join(DELIMITER));
  return out;
}

/** True when `name` is `ancestor` itself or lies below it. */
export function isSelfOrInferior(name: string, ancestor: string): boolean {
  return name === ancestor || name.startsWith(ancestor + DELIMITER);
}

/**
 * SQL predicate "column is strictly below the name bound as :key" — substr, not LIKE/GLOB,
 * because "_" and "[" are legal in names. length()/substr() both count characters.
 */
export function inferiorSql(column: string, key: string): string {
  return `substr(${column}, 1, length(:${key}) + 1) = :${key} || '${DELIMITER}'`;
}
