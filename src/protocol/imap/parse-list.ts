// LIST (RFC 9051 §6.3.9 with RFC 5258 LIST-EXTENDED selection/return options, RFC 6154
// SPECIAL-USE, RFC 5819 LIST-STATUS) and LSUB (RFC 3501 §6.3.9).
import type { Reader } from "./lexer.ts";
import { parseStatusItems } from "./parse-values.ts";
import type { Command, ListReturn, ListSelection, StatusItem } from "./types.ts";

const SELECT_OPTS = ["SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"] as const;

/** list-select-opts = "(" [...] ")"; unknown options are BAD (RFC 5258 §3). */
function selectOpts(r: Reader): ListSelection {
  const opts = [
    ...new Set(
      r.list(() => {
        const w = r.word();
        const o = SELECT_OPTS.find((s) => s === w);
        if (o === undefined) r.fail(`Unknown LIST selection option ${w}`);
        return o;
      }, true),
    ),
  ];
  // RFC 5258 §3.1: RECURSIVEMATCH needs a base option (SUBSCRIBED; SPECIAL-USE, RFC 6154 §6).
  if (opts.includes("RECURSIVEMATCH") && !opts.includes("SUBSCRIBED") && !opts.includes("SPECIAL-USE")) {
    r.fail("RECURSIVEMATCH requires another selection option");
  }
  return opts;
}

/** list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")". */
function returnOpts(r: Reader): ListReturn {
  const out: (ListReturn[number])[] = [];
  const seen = new Set<string>();
  r.list(() => {
    const w = r.word();
    if (seen.has(w)) r.fail(`Duplicate LIST return option ${w}`);
    seen.add(w);
    if (w === "SUBSCRIBED" || w === "CHILDREN" || w === "SPECIAL-USE") out.push(w);
    else if (w === "STATUS") {
      // RFC 5819 §6: return-option =/ "STATUS" SP "(" status-att *(SP status-att) ")".
      r.sp();
      const status: StatusItem[] = parseStatusItems(r);
      out.push({ status });
    } else r.fail(`Unknown LIST return option ${w}`);
  }, true);
  return out;
}

/** list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]. */
export function parseList(r: Reader): Command {
  r.sp();
  let extended = false;
  let selection: ListSelection = [];
  if (r.peek() === 0x28) {
    selection = selectOpts(r);
    extended = true;
    r.sp();
  }
  // The reference is a mailbox name prefix; it is not INBOX-normalised.
  const reference = r.astring();
  r.sp();
  let patterns: string[];
  if (r.peek() === 0x28) {
    // patterns = "(" list-mailbox *(SP list-mailbox) ")".
    patterns = r.list(() => r.listMailbox());
    extended = true;
  } else patterns = [r.listMailbox()];
  let returns: ListReturn = [];
  if (r.tryByte(0x20)) {
    if (r.word() !== "RETURN") r.fail("Expected RETURN");
    r.sp();
    returns = returnOpts(r);
    extended = true;
  }
  return { name: "LIST", reference, patterns, selection, returns, extended };
}

/** lsub = "LSUB" SP mailbox SP list-mailbox. */
export function parseLsub(r: Reader): Command {
  r.sp();
  const reference = r.astring();
  r.sp();
  return { name: "LSUB", reference, pattern: r.listMailbox() };
}
