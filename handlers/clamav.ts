// ClamAV at end of DATA through clamd's INSTREAM (src/trust/clamd-client.ts): a message
// with a virus is refused with 554 5.7.1 naming it (RFC 3463 X.7.1, refused by policy);
// clamd unavailable → 451 4.3.0 (default) or delivered unscanned. Off unless
// `trust.clamav` names a host or a unix socket:
//
//   trust: { clamav: { socket: "/run/clamav/clamd.ctl" } }

import * as v from "valibot";
import type { Config } from "../src/config/schema.ts";
import { defineHandler, type AnyHandler } from "../src/events/handler.ts";
import { verdict } from "../src/events/verdict.ts";
import { clamdScan, type ClamdTarget } from "../src/trust/clamd-client.ts";
import { networkList } from "../src/trust/networks.ts";
import { describeError } from "../src/trust/spam-action.ts";

const int = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min));

export const ClamavOptions = v.pipe(
  v.object({
    /** clamd's TCPAddr (no default: give `host` or `socket`). */
    host: v.optional(v.string()),
    /** clamd's TCPSocket port. Default 3310. */
    port: v.optional(v.pipe(int(1), v.maxValue(65535)), 3310),
    /** clamd's LocalSocket path; wins over host/port. */
    socket: v.optional(v.string()),
    /** Largest message streamed, in bytes; keep it ≤ clamd's StreamMaxLength. Default 25 MiB (clamd's default). */
    maxBytes: v.optional(int(1024), 25 * 1024 * 1024),
    /** A message over maxBytes (or over clamd's StreamMaxLength): "skip" (deliver unscanned, noted; default) or "tempfail". */
    oversize: v.optional(v.picklist(["skip", "tempfail"]), "skip"),
    /** INSTREAM chunk size in bytes. Default 65536. */
    chunkBytes: v.optional(int(1), 64 * 1024),
    /** Our own deadline for one scan in ms. Default 30000 (the handler's is 2 s longer). */
    timeoutMs: v.optional(int(50), 30_000),
    /** clamd unreachable, slow or failing: "tempfail" (451 4.3.0, default) or "accept" unscanned. */
    onError: v.optional(v.picklist(["tempfail", "accept"]), "tempfail"),
    /** Also scan clients in `trust.trustedNetworks`. Default true: viruses come from friends too. */
    scanTrusted: v.optional(v.boolean(), true),
  }),
  v.check((o) => o.host !== undefined || o.socket !== undefined, "give clamd's `host` (and `port`) or `socket`"),
);
export type ClamavOptions = v.InferOutput<typeof ClamavOptions>;

export function clamav(options: unknown = {}, config: Config): AnyHandler[] {
  const parsed = v.safeParse(ClamavOptions, options);
  if (!parsed.success) throw new Error(`clamav handler: invalid options: ${v.summarize(parsed.issues)}`);
  const o = parsed.output;
  const target: ClamdTarget = o.socket !== undefined ? { socket: o.socket } : { host: o.host!, port: o.port };
  const trusted = networkList(config.trust.trustedNetworks);
  const tooLarge = (size: string) =>
    o.oversize === "skip"
      ? verdict.continue(`clamav: skipped, ${size}`)
      : verdict.tempfail(451, "4.3.4", "Message too large for the virus scanner, try again later");
  const failed = (why: string) =>
    o.onError === "accept"
      ? verdict.continue(`clamav: not scanned (${why}); accepted per onError`)
      : verdict.tempfail(451, "4.3.0", "Virus scanner unavailable, try again later");

  return [
    defineHandler({
      event: "smtp.data",
      name: "clamav",
      timeoutMs: o.timeoutMs + 2000,
      async handle({ session, envelope, message }, ctx) {
        if (!o.scanTrusted && trusted.has(session.remoteAddress)) return verdict.continue("clamav: skipped, trusted network");
        if (message.length > o.maxBytes) return tooLarge(`${message.length} bytes > maxBytes ${o.maxBytes}`);
        const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(o.timeoutMs)]);
        let found;
        try {
          found = await clamdScan(target, message, signal, o.chunkBytes);
        } catch (err) {
          ctx.log.warn("clamav scan failed", { error: describeError(err), transaction: envelope.transactionId });
          return failed(describeError(err));
        }
        ctx.results.set("clamav", found);
        switch (found.kind) {
          case "clean":
            return verdict.continue("clamav: clean");
          case "infected":
            ctx.log.info("clamav: virus found", { transaction: envelope.transactionId, virus: found.name });
            return verdict.reject(554, "5.7.1", `message contains a virus: ${found.name}`);
          case "too-large":
            return tooLarge("over clamd's StreamMaxLength");
          case "error":
            ctx.log.warn("clamav scan error", { error: found.text, transaction: envelope.transactionId });
            return failed(found.text);
        }
      },
    }),
  ];
}
