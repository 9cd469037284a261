// SASLprep (RFC 4013), the stringprep (RFC 3454) profile for user names and passwords,
// used by PLAIN (RFC 4616 §2) and SCRAM (RFC 5802 §2.2, §5.1). Pure computation.

// RFC 3454 C.1.2 non-ASCII spaces map to U+0020 (RFC 4013 §2.1).
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/gu;
// RFC 3454 B.1 "commonly mapped to nothing" (RFC 4013 §2.1).
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/gu;

// RFC 4013 §2.3 prohibited output: C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9.
const PROHIBITED = new RegExp(
  [
    "[\\u00A0\\u1680\\u2000-\\u200B\\u202F\\u205F\\u3000]", // C.1.2
    "[\\u0000-\\u001F\\u007F]", // C.2.1
    "[\\u0080-\\u009F\\u06DD\\u070F\\u180E\\u200C\\u200D\\u2028\\u2029\\u2060-\\u2063\\u206A-\\u206F\\uFEFF\\uFFF9-\\uFFFC\\u{1D173}-\\u{1D17A}]", // C.2.2
    "[\\uE000-\\uF8FF\\u{F0000}-\\u{FFFFD}\\u{100000}-\\u{10FFFD}]", // C.3
    "\\p{Noncharacter_Code_Point}", // C.4
    "[\\uD800-\\uDFFF]", // C.5 (lone surrogates; paired ones are whole code points under /u)
    "[\\uFFF9-\\uFFFD]", // C.6
    "[\\u2FF0-\\u2FFB]", // C.7
    "[\\u0340\\u0341\\u200E\\u200F\\u202A-\\u202E\\u206A-\\u206F]", // C.8
    "[\\u{E0001}\\u{E0020}-\\u{E007F}]", // C.9
  ].join("|"),
  "u",
);

// RFC 3454 §6 bidi tables D.1 (RandALCat) and D.2 (LCat), approximated by script: letters of
// the right-to-left scripts (plus U+200F) are RandAL, every other letter is L.
const RTL_SCRIPTS =
  "\\p{Script=Hebrew}\\p{Script=Arabic}\\p{Script=Syriac}\\p{Script=Thaana}\\p{Script=Nko}\\p{Script=Samaritan}\\p{Script=Mandaic}";
const RAND_AL = new RegExp(`^(?:(?=\\p{L})[${RTL_SCRIPTS}]|\\u200F)$`, "u");
const L_CAT = new RegExp(`^(?![${RTL_SCRIPTS}])\\p{L}$`, "u");

/**
 * Prepares a string per SASLprep. Returns null when the result would contain a prohibited
 * character or violate the bidi rules (the caller then fails the authentication). Unassigned
 * code points are allowed: these strings are "queries" (RFC 3454 §7).
 */
export function saslprep(input: string): string | null {
  const mapped = input.replace(NON_ASCII_SPACE, " ").replace(MAPPED_TO_NOTHING, "");
  // RFC 4013 §2.2: Unicode normalization form KC.
  const out = mapped.normalize("NFKC");
  if (PROHIBITED.test(out)) return null;
  const chars = Array.from(out);
  if (chars.some((c) => RAND_AL.test(c))) {
    // RFC 3454 §6 rules 2 and 3.
    if (chars.some((c) => L_CAT.test(c))) return null;
    if (!RAND_AL.test(chars[0]!) || !RAND_AL.test(chars[chars.length - 1]!)) return null;
  }
  return out;
}
