// RFC 5322 §3.3 date-time (with the §4.3 obsolete forms and asctime order) to an ISO 8601
// UTC instant, for SORT/SEARCH by sent date. Unparseable input gives null, never a throw.

import { skipComment } from "./params.ts";

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** RFC 5322 §4.3 obs-zone offsets in minutes; military letters are treated as -0000. */
const ZONES: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0,
  edt: -240, est: -300, cdt: -300, cst: -360, mdt: -360, mst: -420, pdt: -420, pst: -480,
};

function isDigits(s: string): boolean {
  if (s === "") return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function zoneOffset(tok: string): number | null {
  const sign = tok[0];
  if ((sign === "+" || sign === "-") && tok.length === 5 && isDigits(tok.slice(1))) {
    const hh = Number(tok.slice(1, 3));
    const mm = Number(tok.slice(3, 5));
    if (mm > 59) return null;
    return (sign === "-" ? -1 : 1) * (hh * 60 + mm);
  }
  const lower = tok.toLowerCase();
  if (Object.hasOwn(ZONES, lower)) return ZONES[lower]!;
  if (lower.length === 1 && lower >= "a" && lower <= "z" && lower !== "j") return 0;
  return null;
}

/** Parses a Date field value; returns e.g. "2003-07-01T08:52:37.000Z" or null. */
export function parseDate(value: string | null): string | null {
  if (value === null || value.length > 256) return null;
  let plain = "";
  for (let i = 0; i < value.length; ) {
    if (value[i] === "(") {
      i = skipComment(value, i);
      plain += " ";
    } else plain += value[i++] === "," ? " " : value[i - 1];
  }
  const tokens = plain.split(/[ \t\r\n]+/).filter((t) => t !== "");
  let day = -1;
  let month = -1;
  let year = -1;
  let time: number[] | null = null;
  let zone: number | null = null;
  for (const tok of tokens) {
    const lower = tok.toLowerCase();
    if (time === null && tok.includes(":")) {
      const hms = tok.split(":");
      if (hms.length < 2 || hms.length > 3 || !hms.every((x) => isDigits(x) && x.length <= 2)) return null;
      time = hms.map(Number);
    } else if (isDigits(tok)) {
      if (day === -1 && tok.length <= 2) day = Number(tok);
      else if (year === -1) year = yearOf(tok);
      else return null;
    } else if (month === -1 && lower.length >= 3 && MONTHS.includes(lower.slice(0, 3)) && /^[a-z]+\.?$/.test(lower)) {
      month = MONTHS.indexOf(lower.slice(0, 3));
    } else if (zone === null && time !== null) {
      zone = zoneOffset(tok);
      if (zone === null) return null;
    }
    // Anything else before the time (a day name such as "Tue") is ignored.
  }
  if (day < 1 || month < 0 || year < 1000 || time === null) return null;
  const [h = 0, m = 0, sec = 0] = time;
  if (h > 23 || m > 59 || sec > 60) return null;
  if (day > new Date(Date.UTC(year, month + 1, 0)).getUTCDate()) return null;
  const utc = Date.UTC(year, month, day, h, m, Math.min(sec, 59)) - (zone ?? 0) * 60_000;
  const d = new Date(utc);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** RFC 5322 §4.3 obs-year: two digits are 1950-2049, three digits add 1900. */
function yearOf(tok: string): number {
  const n = Number(tok);
  if (tok.length === 2) return n < 50 ? 2000 + n : 1900 + n;
  if (tok.length === 3) return 1900 + n;
  return tok.length === 4 ? n : -1;
}
