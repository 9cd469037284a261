// A DNS answer log for one SMTP transaction: SPF records the answers it used at MAIL FROM, and
// the DATA-time authenticate() (which always evaluates SPF again) replays them, so SPF costs one
// round of DNS queries per message and both evaluations see the same data.

/** What one (name, type) question got: records, or a node-style error code (ENOTFOUND, ETIMEOUT…). */
export type DnsAnswer = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly code: string; readonly message: string };
export type DnsLog = ReadonlyMap<string, DnsAnswer>;
export type ResolveFn = (name: string, rrtype: string) => Promise<any>;

const key = (name: string, rrtype: string) => `${rrtype.toUpperCase()} ${name.toLowerCase().replace(/\.$/, "")}`;
/** Fresh copies: mailauth sorts MX lists in place. */
const copy = (v: unknown) => (Array.isArray(v) ? v.map((x) => (Array.isArray(x) ? [...x] : typeof x === "object" && x ? { ...x } : x)) : v);

/** Wraps `resolve` and writes every answer into `log`. */
export function recordingResolver(resolve: ResolveFn, log: Map<string, DnsAnswer>): ResolveFn {
  return async (name, rrtype) => {
    try {
      const value = await resolve(name, rrtype);
      log.set(key(name, rrtype), { ok: true, value: copy(value) });
      return value;
    } catch (e) {
      const err = e as { code?: string; message?: string };
      log.set(key(name, rrtype), { ok: false, code: err.code ?? "EBADRESP", message: err.message ?? String(e) });
      throw e;
    }
  };
}

/** Answers from `log` first; asks `resolve` for anything the log does not hold. */
export function replayingResolver(log: DnsLog, resolve: ResolveFn): ResolveFn {
  return async (name, rrtype) => {
    const hit = log.get(key(name, rrtype));
    if (!hit) return resolve(name, rrtype);
    if (hit.ok) return copy(hit.value);
    throw Object.assign(new Error(hit.message), { code: hit.code, hostname: name });
  };
}
