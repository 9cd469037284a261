// The trace (DESIGN §3): what each handler decided and how long it took, kept per
// transaction so operators can answer "why was this rejected / junked / delayed?".

import type { Verdict } from "./verdict.ts";

export type TraceEntry = {
  readonly event: string;
  readonly handler: string;
  /** Verdict kind for policy handlers; "provided" for providers; "error"/"timeout" on failure. */
  readonly verdict: string;
  readonly code: number | null;
  readonly enhanced: string | null;
  readonly text: string | null;
  readonly durationMs: number;
  readonly at: number;
};

export function traceFromVerdict(event: string, handler: string, v: Verdict, durationMs: number, at: number): TraceEntry {
  const reply = "reply" in v && v.reply ? v.reply : null;
  const text = reply ? reply.text : "reason" in v ? v.reason : "note" in v && v.note ? v.note : null;
  return {
    event,
    handler,
    verdict: v.kind,
    code: reply ? reply.code : null,
    enhanced: reply ? reply.enhanced : null,
    text,
    durationMs,
    at,
  };
}

/** Collects entries for one transaction; the session hands them to the store. */
export class TraceBuffer {
  readonly entries: TraceEntry[] = [];
  add(e: TraceEntry): void {
    // Bounded: a session that loops RSET/MAIL forever must not grow memory.
    if (this.entries.length < 1000) this.entries.push(e);
  }
  take(): TraceEntry[] {
    return this.entries.splice(0, this.entries.length);
  }
}
