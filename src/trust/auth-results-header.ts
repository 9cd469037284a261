// The Authentication-Results header field (RFC 8601): its value from resinfo fragments, folded
// for readability, and the pattern that finds fields claiming our authserv-id (§5).

/** Escapes a string for use inside a RegExp source. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
}

/**
 * Matches the unfolded value of a field whose authserv-id is ours (RFC 8601 §2.2:
 * `[CFWS] authserv-id [CFWS authres-version] ( no-result / 1*resinfo )`), quoted or not.
 * Case-insensitive as the bus applies it; another host's id is left alone.
 */
export function ownAuthservPattern(authservId: string): string {
  const id = escapeRegExp(authservId);
  const cfws = String.raw`(?:\s|\([^)]*\))*`;
  return `^${cfws}(?:${id}|"${id}")${cfws}(?:\\d+${cfws})?(?:;|$)`;
}

/** Folds one resinfo at spaces outside quoted strings so lines stay near 78 octets (RFC 5322 §2.2.3). */
export function foldResinfo(text: string, width = 76): string {
  const words: string[] = [];
  let cur = "";
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === " " && !quoted) {
      if (cur) words.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur) words.push(cur);
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join("\r\n\t  ");
}

/** `authserv-id; resinfo;\r\n\tresinfo …`, or `authserv-id; none` with no results (RFC 8601 §2.2). */
export function authResultsValue(authservId: string, resinfos: readonly string[]): string {
  // Fragments from mailauth may already be folded: unfold, then fold our way.
  const flat = resinfos.map((r) => r.replace(/\r?\n[ \t]+/g, " ").trim()).filter(Boolean);
  const id = /^[\x21-\x7e]+$/.test(authservId) && !/[()<>@,;:\\"\/\[\]?=]/.test(authservId) ? authservId : `"${authservId.replace(/["\\]/g, "\\$&")}"`;
  if (flat.length === 0) return `${id}; none`;
  return `${id};\r\n\t${flat.map((r) => foldResinfo(r)).join(";\r\n\t")}`;
}
