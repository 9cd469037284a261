// Byte classes of the IMAP formal syntax (RFC 9051 §9, RFC 3501 §9) as lookup tables:
// ATOM-CHAR, ASTRING-CHAR, tag characters and list-char. 8-bit bytes belong to none of them.

function table(extra: string, without: string): Uint8Array {
  const t = new Uint8Array(256);
  // ATOM-CHAR = <any CHAR except atom-specials>; atom-specials = "(" / ")" / "{" / SP / CTL /
  // list-wildcards / quoted-specials / resp-specials. CHAR is %x01-7F, CTL %x00-1F / %x7F.
  for (let b = 0x21; b < 0x7f; b++) if (!'(){%*"\\]'.includes(String.fromCharCode(b))) t[b] = 1;
  for (const c of extra) t[c.charCodeAt(0)] = 1;
  for (const c of without) t[c.charCodeAt(0)] = 0;
  return t;
}

export const ATOM_CHAR = table("", "");
/** ASTRING-CHAR = ATOM-CHAR / resp-specials. */
export const ASTRING_CHAR = table("]", "");
/** tag = 1*<any ASTRING-CHAR except "+">. */
export const TAG_CHAR = table("]", "+");
/** list-char = ATOM-CHAR / list-wildcards / resp-specials. */
export const LIST_CHAR = table("]%*", "");

export const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
