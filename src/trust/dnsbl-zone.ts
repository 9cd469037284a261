// One DNSxL zone's settings and what its A answers mean (RFC 5782), shared by the client-IP
// list handler (dnsbl) and the body-domain list handler (uribl).

import * as v from "valibot";

/** One code's meaning: a label for the trace and reply, optionally its own weight. */
export const DnsblCode = v.union([
  v.string(),
  v.object({ label: v.string(), weight: v.number() }),
]);

export const DnsblZone = v.object({
  /** The list's zone, e.g. "zen.spamhaus.org". */
  zone: v.pipe(v.string(), v.regex(/^[a-z0-9_-]+(?:\.[a-z0-9_-]+)+\.?$/i, "a zone must be a domain name")),
  /** Score a listing adds (default 1); the handler compares the sum over zones with its threshold. */
  weight: v.optional(v.number(), 1),
  /** Meaning of return codes, e.g. { "127.0.0.2": "SBL", "127.0.0.10": { label: "PBL", weight: 0.5 } }. */
  codes: v.optional(v.record(v.string(), DnsblCode), {}),
  /** Return codes that are not listings for us (e.g. a PBL code when only spam sources count). */
  ignoreCodes: v.optional(v.array(v.string()), []),
});
export type DnsblZone = v.InferOutput<typeof DnsblZone>;

export type Listing = { readonly code: string; readonly label: string; readonly weight: number };

export type ZoneResult = {
  readonly zone: string;
  readonly query: string;
  /** listed: counted; clean: NXDOMAIN/NODATA or only ignored codes; error: no usable answer. */
  readonly status: "listed" | "clean" | "error";
  readonly listings: readonly Listing[];
  /** Codes seen and not counted, with why. */
  readonly ignored: readonly string[];
  readonly error?: string;
  /** The highest weight among this zone's listings (a zone counts once, however many codes). */
  readonly score: number;
};

/** Sorts one zone's A answers into listings and ignored codes. */
export function readAnswers(zone: DnsblZone, query: string, answers: readonly string[]): ZoneResult {
  const listings: Listing[] = [];
  const ignored: string[] = [];
  let operatorError = false;
  for (const code of answers) {
    if (/^127\.255\.255\.\d{1,3}$/.test(code)) {
      // Spamhaus convention: 127.255.255.x answers a refused query (public resolver, rate limit,
      // typo in the zone) — an error message from the operator, never a listing.
      ignored.push(`${code} (list operator error)`);
      operatorError = true;
    } else if (!code.startsWith("127.")) {
      // RFC 5782 §2.3: listings are 127.0.0.0/8 values; anything else is a wildcard or hijacked answer.
      ignored.push(`${code} (outside 127.0.0.0/8)`);
    } else if (zone.ignoreCodes.includes(code)) {
      ignored.push(`${code} (ignoreCodes)`);
    } else {
      const meaning = zone.codes[code];
      const label = meaning === undefined ? code : typeof meaning === "string" ? meaning : meaning.label;
      const weight = meaning !== undefined && typeof meaning !== "string" ? meaning.weight : zone.weight;
      listings.push({ code, label, weight });
    }
  }
  const score = listings.reduce((m, l) => Math.max(m, l.weight), 0);
  if (listings.length > 0) return { zone: zone.zone, query, status: "listed", listings, ignored, score };
  if (operatorError) return { zone: zone.zone, query, status: "error", listings, ignored, error: "operator error code", score: 0 };
  return { zone: zone.zone, query, status: "clean", listings, ignored, score: 0 };
}

/** One line for the trace: "zen.example: listed 127.0.0.2 (SBL)", "bl.test: ignored (SERVFAIL)". */
export function describeZone(r: ZoneResult): string {
  const ignored = r.ignored.length ? `; ignored ${r.ignored.join(", ")}` : "";
  switch (r.status) {
    case "listed":
      return `${r.zone}: listed ${r.listings.map((l) => (l.label === l.code ? l.code : `${l.code} (${l.label})`)).join(", ")}${ignored}`;
    case "clean":
      return `${r.zone}: not listed${ignored}`;
    case "error":
      return `${r.zone}: ignored (${r.error ?? "error"})${ignored}`;
  }
}
