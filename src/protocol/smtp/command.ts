// Parses one SMTP/LMTP command line (CRLF removed, UTF-8 decoded) into a typed Command;
// malformed input becomes an INVALID command carrying the RFC reply, never a throw.
import { findPathEnd, isDomain, parseAddressLiteral, parseForwardPath, parseReversePath } from "./address.ts";
import type { Path, RcptPath } from "./address.ts";
import { parseMailParams, parseRcptParams } from "./params.ts";
import type { MailParams, RcptParams } from "./params.ts";
import type { SmtpReply } from "./reply.ts";

export type Command =
  | { verb: "HELO" | "EHLO" | "LHLO"; domain: string }
  | { verb: "MAIL"; path: Path; params: MailParams }
  | { verb: "RCPT"; path: RcptPath; params: RcptParams }
  | { verb: "DATA" }
  | { verb: "BDAT"; size: number; last: boolean }
  | { verb: "RSET" }
  | { verb: "NOOP" }
  | { verb: "QUIT" }
  | { verb: "VRFY"; arg: string }
  | { verb: "EXPN"; arg: string }
  | { verb: "HELP"; arg: string }
  | { verb: "STARTTLS" }
  | { verb: "AUTH"; mechanism: string; initial: string | null }
  | { verb: "UNKNOWN"; name: string }
  | { verb: "INVALID"; reply: SmtpReply };

export type Verb = Command["verb"];

const invalid = (code: number, enhanced: string, text: string): Command => ({
  verb: "INVALID",
  reply: { code, enhanced, text },
});
// RFC 5321 §4.2.2: 501 "Syntax error in parameters or arguments"; RFC 3463 §3.6: X.5.2 is a
// syntax error, X.5.4 invalid command arguments.
const syntax = (text: string): Command => invalid(501, "5.5.2", text);
const badArg = (text: string): Command => invalid(501, "5.5.4", text);

/** HELO/EHLO/LHLO argument: Domain or address-literal (RFC 5321 §4.1.1.1, RFC 2033 §4.1). */
function parseHello(verb: "HELO" | "EHLO" | "LHLO", arg: string | null): Command {
  if (arg === null || arg === "") return syntax(`Syntax: ${verb} hostname`);
  if (arg.includes(" ")) return badArg(`Syntax: ${verb} hostname`);
  // "_" is tolerated: many client host names carry it and RFC 5321 §4.1.4 forbids refusing
  // a session over the HELO name alone.
  if (parseAddressLiteral(arg) === null && !isDomain(arg, { underscore: true })) {
    return badArg("Invalid domain name");
  }
  return { verb, domain: arg };
}

/** "MAIL FROM:" / "RCPT TO:" prefix, then a path, then optional parameters (RFC 5321 §4.1.1.2–3). */
function splitPathArg(arg: string | null, prefix: string): { path: string; rest: string } | null {
  if (arg === null || arg.slice(0, prefix.length).toUpperCase() !== prefix) return null;
  let s = arg.slice(prefix.length);
  // Not in the grammar, but sent by common clients; one space only.
  if (s.startsWith(" ")) s = s.slice(1);
  const end = findPathEnd(s);
  if (end < 0) return null;
  const rest = s.slice(end);
  if (rest !== "" && !rest.startsWith(" ")) return null;
  return { path: s.slice(0, end), rest };
}

function parseMail(arg: string | null): Command {
  const parts = splitPathArg(arg, "FROM:");
  if (parts === null) return syntax("Syntax: MAIL FROM:<address>");
  const path = parseReversePath(parts.path);
  if (!path.ok) return { verb: "INVALID", reply: path.reply };
  const params = parseMailParams(parts.rest);
  if (!params.ok) return { verb: "INVALID", reply: params.reply };
  // RFC 6531 §3.5: a non-ASCII address needs SMTPUTF8 on this MAIL command.
  if (path.path.needsSmtputf8 && !params.params.smtputf8) {
    return invalid(553, "5.6.7", "Non-ASCII addresses require the SMTPUTF8 parameter");
  }
  return { verb: "MAIL", path: path.path, params: params.params };
}

function parseRcpt(arg: string | null): Command {
  const parts = splitPathArg(arg, "TO:");
  if (parts === null) return syntax("Syntax: RCPT TO:<address>");
  const path = parseForwardPath(parts.path);
  if (!path.ok) return { verb: "INVALID", reply: path.reply };
  const params = parseRcptParams(parts.rest);
  if (!params.ok) return { verb: "INVALID", reply: params.reply };
  return { verb: "RCPT", path: path.path, params: params.params };
}

// RFC 3030 §2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ]; chunk-size = 1*DIGIT.
// Sizes beyond 2^53-1 cannot be counted exactly and are refused.
function parseBdat(arg: string | null): Command {
  const parts = arg === null ? [] : arg.split(" ");
  if (parts.length < 1 || parts.length > 2) return syntax("Syntax: BDAT size [LAST]");
  if (!/^\d+$/.test(parts[0])) return badArg("Invalid BDAT chunk size");
  const trimmed = parts[0].replace(/^0+(?=\d)/, "");
  const size = trimmed.length > 16 ? Number.POSITIVE_INFINITY : Number(trimmed);
  if (!Number.isSafeInteger(size)) return badArg("BDAT chunk size too large");
  if (parts.length === 2 && parts[1].toUpperCase() !== "LAST") return badArg("Syntax: BDAT size [LAST]");
  return { verb: "BDAT", size, last: parts.length === 2 };
}

// RFC 4954 §4: "AUTH" SP sasl-mech [SP initial-response]; initial-response = base64 / "=".
// sasl-mech = 1*20 (UPALPHA / DIGIT / "-" / "_") (RFC 4422 §3.1).
function parseAuth(arg: string | null): Command {
  const parts = arg === null ? [] : arg.split(" ");
  if (parts.length < 1 || parts.length > 2) return badArg("Syntax: AUTH mechanism [initial-response]");
  const mechanism = parts[0].toUpperCase();
  // RFC 4954 §4: an unknown mechanism is refused with 504; a malformed name can be no mechanism.
  if (!/^[A-Z0-9_-]{1,20}$/.test(mechanism)) return invalid(504, "5.5.4", "Unrecognized authentication type");
  if (parts.length === 1) return { verb: "AUTH", mechanism, initial: null };
  const ir = parts[1];
  if (ir === "=") return { verb: "AUTH", mechanism, initial: "" };
  // RFC 4954 §4: a response that cannot be BASE64-decoded is refused with 501.
  if (ir.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(ir)) {
    return invalid(501, "5.5.2", "Invalid base64 in initial response");
  }
  return { verb: "AUTH", mechanism, initial: ir };
}

/** Parse one command line without its CRLF. */
export function parseCommand(line: string): Command {
  // RFC 5321 §2.3.8: CR and LF only as CRLF, which the caller has removed; other controls
  // (NUL, ESC, ...) have no place in a command (§4.1.2 restricts arguments to printable text).
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) return invalid(500, "5.5.2", "Syntax error, invalid characters in command");
  // Trailing white space is tolerated (common clients send "RSET ").
  const trimmed = line.replace(/[ \t]+$/, "");
  const sp = trimmed.indexOf(" ");
  const name = (sp < 0 ? trimmed : trimmed.slice(0, sp)).toUpperCase();
  const arg = sp < 0 ? null : trimmed.slice(sp + 1);
  // RFC 5321 §4.1.1: verbs are character strings, case-insensitive.
  if (!/^[A-Z][A-Z0-9_-]{0,31}$/.test(name)) return invalid(500, "5.5.2", "Syntax error, command unrecognized");
  const noArgs = (verb: "DATA" | "RSET" | "QUIT" | "STARTTLS"): Command =>
    arg === null ? { verb } : badArg(`Syntax: ${verb} takes no arguments`);
  switch (name) {
    case "HELO":
    case "EHLO":
    case "LHLO":
      return parseHello(name, arg);
    case "MAIL":
      return parseMail(arg);
    case "RCPT":
      return parseRcpt(arg);
    case "DATA": // RFC 5321 §4.1.1.4
    case "RSET": // §4.1.1.5
    case "QUIT": // §4.1.1.10
    case "STARTTLS": // RFC 3207 §4: "501 Syntax error (no parameters allowed)"
      return noArgs(name);
    case "NOOP": // RFC 5321 §4.1.1.9: a parameter string SHOULD be ignored
      return { verb: "NOOP" };
    case "VRFY": // §4.1.1.6
    case "EXPN": // §4.1.1.7
      if (arg === null || arg.trim() === "") return syntax(`Syntax: ${name} string`);
      return { verb: name, arg };
    case "HELP": // §4.1.1.8: HELP [ SP String ]
      return { verb: "HELP", arg: arg ?? "" };
    case "BDAT":
      return parseBdat(arg);
    case "AUTH":
      return parseAuth(arg);
    default:
      return { verb: "UNKNOWN", name };
  }
}
