// A deadline for one DNS lookup of a trust handler. The resolver's own timeout × tries may
// exceed the handler's deadline, and a handler that overruns becomes 451 4.3.0 for the
// client; bounding each lookup lets the handler decide what an unanswered lookup means.

import { DnsError } from "../dns/resolver.ts";

/** Resolves like `lookup`, or rejects with DnsError TIMEOUT after `ms` or when `signal` aborts. */
export function withinDeadline<T>(lookup: Promise<T>, ms: number, signal: AbortSignal, name: string, rrtype: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fail = () => {
      cleanup();
      reject(new DnsError("TIMEOUT", name, rrtype, `no answer within ${ms} ms`));
    };
    const timer = setTimeout(fail, ms);
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", fail);
    };
    if (signal.aborted) return fail();
    signal.addEventListener("abort", fail, { once: true });
    lookup.then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (e) => {
        cleanup();
        reject(e);
      },
    );
  });
}

/** The DnsError code of a failed lookup, or "OTHER" for anything that is not one. */
export function dnsErrorCode(e: unknown): DnsError["code"] {
  return e instanceof DnsError ? e.code : "OTHER";
}
