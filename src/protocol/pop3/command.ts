// POP3 command lines (RFC 1939 §3, RFC 2449 §3): a case-insensitive keyword and arguments
// separated by single spaces. Parsing only; what a command means in a state is session.ts.

export type Pop3Command =
  | { readonly verb: "USER"; readonly name: string }
  | { readonly verb: "PASS"; readonly password: string }
  /** RFC 5034 §4; a bare AUTH (no mechanism) lists the mechanisms, as many servers do. */
  | { readonly verb: "AUTH"; readonly mechanism: string | null; readonly initial: string | null }
  | { readonly verb: "APOP" | "STLS" | "CAPA" | "QUIT" | "NOOP" | "RSET" | "STAT" }
  | { readonly verb: "LIST" | "UIDL"; readonly msg: number | null }
  | { readonly verb: "RETR" | "DELE"; readonly msg: number }
  | { readonly verb: "TOP"; readonly msg: number; readonly lines: number }
  | { readonly verb: "UNKNOWN"; readonly keyword: string }
  /** Known keyword, bad arguments: `text` is the -ERR text. */
  | { readonly verb: "INVALID"; readonly text: string };

/** RFC 2449 §4: a command line is at most 255 octets including CRLF. */
export const MAX_COMMAND_LINE = 255;

// Message numbers are decimal (RFC 1939 §3 "msg"); anything beyond this is no message we have.
const MAX_NUMBER = 2 ** 31 - 1;

function number(s: string | undefined): number | null {
  if (s === undefined || !/^[0-9]{1,10}$/.test(s)) return null;
  const n = Number(s);
  return n > MAX_NUMBER ? null : n;
}

const NO_ARGS = new Set(["APOP", "STLS", "CAPA", "QUIT", "NOOP", "RSET", "STAT"]);

/** Parses one command line (without its CRLF). Trailing spaces are tolerated. */
export function parseCommand(line: string): Pop3Command {
  const sp = line.indexOf(" ");
  const keyword = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
  const rest = sp < 0 ? "" : line.slice(sp + 1);
  // RFC 1939 §3: arguments are separated by single spaces; PASS/USER take the rest verbatim.
  const trimmed = rest.replace(/ +$/, "");
  const args = trimmed === "" ? [] : trimmed.split(" ");
  const argc = args.length;
  if (keyword === "USER") {
    if (rest === "") return { verb: "INVALID", text: "USER needs a name" };
    return { verb: "USER", name: rest };
  }
  if (keyword === "PASS") {
    // RFC 1939 §7: the server may treat spaces in the argument as part of the password.
    if (rest === "") return { verb: "INVALID", text: "PASS needs a password" };
    return { verb: "PASS", password: rest };
  }
  if (keyword === "AUTH") {
    if (argc === 0) return { verb: "AUTH", mechanism: null, initial: null };
    if (argc > 2 || args.includes("")) return { verb: "INVALID", text: "Syntax: AUTH mechanism [initial-response]" };
    return { verb: "AUTH", mechanism: args[0].toUpperCase(), initial: argc === 2 ? args[1] : null };
  }
  if (NO_ARGS.has(keyword)) {
    if (argc !== 0) return { verb: "INVALID", text: `${keyword} takes no arguments` };
    return { verb: keyword as "STAT" };
  }
  if (keyword === "LIST" || keyword === "UIDL") {
    if (argc === 0) return { verb: keyword, msg: null };
    const msg = argc === 1 ? number(args[0]) : null;
    if (msg === null) return { verb: "INVALID", text: `Syntax: ${keyword} [message-number]` };
    return { verb: keyword, msg };
  }
  if (keyword === "RETR" || keyword === "DELE") {
    const msg = argc === 1 ? number(args[0]) : null;
    if (msg === null) return { verb: "INVALID", text: `Syntax: ${keyword} message-number` };
    return { verb: keyword, msg };
  }
  if (keyword === "TOP") {
    const msg = argc === 2 ? number(args[0]) : null;
    const lines = argc === 2 ? number(args[1]) : null;
    if (msg === null || lines === null) return { verb: "INVALID", text: "Syntax: TOP message-number lines" };
    return { verb: "TOP", msg, lines };
  }
  return { verb: "UNKNOWN", keyword };
}
