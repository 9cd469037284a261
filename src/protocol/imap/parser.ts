// Parses one framed IMAP command (RFC 9051 §6, §9; RFC 3501 §6) into a typed Command, or a
// BAD (rarely NO) result carrying the tag when it could be read. Never throws on client input.
import { TAG_CHAR } from "./chars.ts";
import { Reader, SyntaxFail } from "./lexer.ts";
import type { CommandInput } from "./lexer.ts";
import { parseFetch } from "./parse-fetch.ts";
import { parseList, parseLsub } from "./parse-list.ts";
import { parseAppend, parseCreate, parseSelect, parseStatus } from "./parse-mailbox.ts";
import { parseSearch } from "./parse-search.ts";
import { parseCopy, parseStore, parseUidExpunge } from "./parse-store.ts";
import type { Command, ParseResult } from "./types.ts";

export type { CommandInput } from "./lexer.ts";

const NO_ARGS = new Set(["CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "CHECK", "CLOSE", "UNSELECT", "IDLE", "NAMESPACE", "EXPUNGE"] as const);
type NoArgs = typeof NO_ARGS extends Set<infer T> ? T : never;

/**
 * Command names as the shared literals: the name read from the wire is a fresh string, and
 * a command's object lives as long as it runs (an IDLE for hours, in every idle session).
 */
const NAMES = new Map<string, string>(
  [...NO_ARGS, "UID", "AUTHENTICATE", "LOGIN", "ENABLE", "ID", "SELECT", "EXAMINE", "CREATE", "DELETE", "SUBSCRIBE", "UNSUBSCRIBE",
    "RENAME", "LIST", "LSUB", "STATUS", "APPEND", "SEARCH", "FETCH", "STORE", "COPY", "MOVE"].map((n) => [n, n]),
);
const commandName = (word: string): string => NAMES.get(word) ?? word;

// RFC 4422 §3.1 / RFC 9051 §9: base64 = *(4base64-char) [base64-terminal].
const BASE64_CHAR = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") BASE64_CHAR[c.charCodeAt(0)] = 1;

/** authenticate = "AUTHENTICATE" SP auth-type [SP initial-resp]; initial-resp = base64 / "=" (RFC 4959 §7). */
function parseAuthenticate(r: Reader): Command {
  r.sp();
  const mechanism = r.atom().toUpperCase();
  if (!r.tryByte(0x20)) return { name: "AUTHENTICATE", mechanism, initial: null };
  const ir = r.run(BASE64_CHAR, "initial response");
  if (ir === "=") return { name: "AUTHENTICATE", mechanism, initial: "" };
  if (ir.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(ir)) r.fail("Invalid base64 in initial response");
  return { name: "AUTHENTICATE", mechanism, initial: ir };
}

/** login = "LOGIN" SP userid SP password; both astrings. */
function parseLogin(r: Reader): Command {
  r.sp();
  const user = r.astring();
  r.sp();
  return { name: "LOGIN", user, password: r.astring() };
}

/** enable = "ENABLE" 1*(SP capability) (RFC 5161 §4); names compare case-insensitively. */
function parseEnable(r: Reader): Command {
  const caps: string[] = [];
  do {
    r.sp();
    caps.push(r.atom().toUpperCase());
  } while (!r.atEnd());
  return { name: "ENABLE", capabilities: [...new Set(caps)] };
}

// RFC 2971 §3.3: field names at most 30 octets, values at most 1024, at most 30 pairs, no
// field twice. The server MAY refuse what breaks that; it is refused here.
const ID_FIELD = 30;
const ID_VALUE = 1024;
const ID_PAIRS = 30;

/** id = "ID" SP id-params-list; id-params-list = "(" *(string SP nstring) ")" / nil (RFC 2971 §4). */
function parseId(r: Reader): Command {
  r.sp();
  if (r.peek() !== 0x28) {
    if (r.atom().toUpperCase() !== "NIL") r.fail("Expected a parameter list or NIL");
    return { name: "ID", params: null };
  }
  const pairs = r.list(() => {
    const key = r.string();
    r.sp();
    const value = r.nstring();
    if (key.length > ID_FIELD || (value !== null && value.length > ID_VALUE)) r.fail("ID field or value too long");
    return [key, value] as const;
  }, true);
  if (pairs.length > ID_PAIRS) r.fail("Too many ID fields");
  if (new Set(pairs.map(([k]) => k.toLowerCase())).size !== pairs.length) r.fail("Duplicate ID field");
  // fromEntries defines own properties, so a "__proto__" field stays a plain field.
  return { name: "ID", params: Object.fromEntries(pairs) };
}

function parseMailboxOnly(r: Reader, name: "DELETE" | "SUBSCRIBE" | "UNSUBSCRIBE"): Command {
  r.sp();
  return { name, mailbox: r.mailbox() };
}

function parseRename(r: Reader): Command {
  r.sp();
  const from = r.mailbox();
  r.sp();
  return { name: "RENAME", from, to: r.mailbox() };
}

/** The arguments of a command whose name has been read. */
function parseArgs(r: Reader, name: string, uid: boolean): Command {
  if (uid) {
    switch (name) {
      case "FETCH":
        return parseFetch(r, true);
      case "STORE":
        return parseStore(r, true);
      case "COPY":
      case "MOVE":
        return parseCopy(r, name, true);
      case "SEARCH":
        return parseSearch(r, true);
      case "EXPUNGE":
        return parseUidExpunge(r);
      default:
        return r.fail(`UID ${name} is not a command`);
    }
  }
  if (NO_ARGS.has(name as NoArgs)) return { name: name as NoArgs };
  switch (name) {
    case "AUTHENTICATE":
      return parseAuthenticate(r);
    case "LOGIN":
      return parseLogin(r);
    case "ENABLE":
      return parseEnable(r);
    case "ID":
      return parseId(r);
    case "SELECT":
    case "EXAMINE":
      return parseSelect(r, name);
    case "CREATE":
      return parseCreate(r);
    case "DELETE":
    case "SUBSCRIBE":
    case "UNSUBSCRIBE":
      return parseMailboxOnly(r, name);
    case "RENAME":
      return parseRename(r);
    case "LIST":
      return parseList(r);
    case "LSUB":
      return parseLsub(r);
    case "STATUS":
      return parseStatus(r);
    case "APPEND":
      return parseAppend(r);
    case "SEARCH":
      return parseSearch(r, false);
    case "FETCH":
      return parseFetch(r, false);
    case "STORE":
      return parseStore(r, false);
    case "COPY":
    case "MOVE":
      return parseCopy(r, name, false);
    default:
      return r.fail("Unknown command");
  }
}

const bad = (tag: string | null, text: string): ParseResult => ({ ok: false, tag, text, status: "BAD" });

/** Parse one command event from the framer (its line segments and literals). */
export function parseCommand(input: CommandInput): ParseResult {
  const r = new Reader(input);
  if (r.atEnd()) return bad(null, "Empty command line");
  let tag: string | null = null;
  let name = "";
  try {
    // tag = 1*<any ASTRING-CHAR except "+">
    tag = r.run(TAG_CHAR, "tag");
    if (r.atEnd()) return bad(tag, "Missing command");
    if (r.peek() !== 0x20) return bad(null, "Invalid tag");
  } catch {
    return bad(null, "Invalid tag");
  }
  // RFC 9051 §9: NUL is no CHAR and no CHAR8; it may appear only inside literal8.
  if (input.segments.some((s) => s.indexOf(0) >= 0)) return bad(tag, "NUL byte in command");
  try {
    r.sp();
    name = commandName(r.word());
    let uid = false;
    if (name === "UID") {
      r.sp();
      uid = true;
      name = commandName(r.word());
    }
    const command = parseArgs(r, name, uid);
    if (!r.atEnd()) r.fail(r.peek() === 0x20 ? "Unexpected extra arguments" : "Unexpected character");
    return { ok: true, tag, command };
  } catch (e) {
    if (!(e instanceof SyntaxFail)) throw e;
    if (e.status === "NO") return { ok: false, tag, text: e.message, status: "NO" };
    return bad(tag, name === "" ? e.message : `${name}: ${e.message}`);
  }
}
