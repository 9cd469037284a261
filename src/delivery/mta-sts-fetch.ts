// MTA-STS policy fetch (RFC 8461 §3.3): one HTTPS GET of /.well-known/mta-sts.txt on the Policy
// Host, with PKIX validation against the system roots plus an optional configured CA.
// Own code because mailauth's fetchPolicy hard-codes port 443 and the system CA store.

import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import type { IncomingMessage } from "node:http";
import * as tls from "node:tls";
import { TLS_MIN_VERSION } from "../net/certs.ts";

export const STS_POLICY_PATH = "/.well-known/mta-sts.txt";
/** RFC 8461 §3.3: senders SHOULD cap the policy body, e.g. at 64 KiB. */
export const STS_MAX_POLICY_BYTES = 64 * 1024;
/** RFC 8461 §3.3: senders SHOULD time out the fetch, e.g. after one minute. */
export const STS_FETCH_TIMEOUT_MS = 60_000;

export type StsFetchErrorCode =
  | "HTTP_STATUS"
  | "CONTENT_TYPE"
  | "TOO_LARGE"
  | "TIMEOUT"
  | "CERT_INVALID"
  | "NETWORK";

/** An expected fetch failure; the caller falls back to the cache or to "no policy" (§5.1). */
export class StsFetchError extends Error {
  constructor(
    readonly code: StsFetchErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StsFetchError";
  }
}

export type StsFetchOptions = {
  /** The address to connect to (the Policy Host's A/AAAA record). */
  address: string;
  /** 443 per RFC 8461 §3.3; other values only in tests. */
  port: number;
  /** Trust anchors: see trustedCaList. */
  ca: string[];
  timeoutMs: number;
};

/**
 * The trust anchors for policy and MX certificates: the runtime's bundled roots plus the
 * configured extra CA (PEM text, or a path to a PEM file). Passing `ca` to node:tls replaces
 * the default store, so the system roots are listed explicitly to keep counting.
 */
export async function trustedCaList(extra: string | null | undefined): Promise<string[]> {
  const pem = await extraCaPem(extra);
  return pem === undefined ? [...tls.rootCertificates] : [...tls.rootCertificates, pem];
}

/** delivery.tls.ca as PEM text: the value itself, or the file it names; undefined if unset. */
export async function extraCaPem(extra: string | null | undefined): Promise<string | undefined> {
  const e = extra?.trim();
  if (!e) return undefined;
  return e.includes("-----BEGIN") ? e : await readFile(e, "utf8");
}

/**
 * GETs https://mta-sts.<domain>/.well-known/mta-sts.txt and returns the body.
 * Throws StsFetchError on any deviation from RFC 8461 §3.3.
 */
export function fetchStsPolicyText(policyHost: string, opts: StsFetchOptions): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let finished = false;
    const finish = (err: StsFetchError | null, body?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(body ?? "");
    };
    const timer = setTimeout(
      () => finish(new StsFetchError("TIMEOUT", `policy fetch from ${policyHost} timed out after ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );

    const req = request(
      {
        host: opts.address,
        port: opts.port,
        path: STS_POLICY_PATH,
        method: "GET",
        headers: { host: policyHost, accept: "text/plain", connection: "close" },
        servername: policyHost,
        ca: opts.ca,
        rejectUnauthorized: true,
        minVersion: TLS_MIN_VERSION,
        checkServerIdentity: policyHostIdentity,
        // A fresh connection: never reuse one verified under other options.
        agent: false,
      },
      (res) => onResponse(res, policyHost, finish),
    );
    req.on("error", (e: NodeJS.ErrnoException) => finish(classify(e, policyHost)));
    req.end();
  });
}

function onResponse(res: IncomingMessage, host: string, finish: (err: StsFetchError | null, body?: string) => void) {
  // RFC 8461 §3.3: only 200 is a policy; redirects (3xx) MUST NOT be followed.
  if (res.statusCode !== 200) {
    res.resume();
    return finish(new StsFetchError("HTTP_STATUS", `policy host ${host} answered HTTP ${res.statusCode}`));
  }
  // RFC 8461 §3.3: the media type is text/plain (parameters such as charset are allowed).
  const ctype = String(res.headers["content-type"] ?? "");
  if (ctype.split(";")[0].trim().toLowerCase() !== "text/plain") {
    res.resume();
    return finish(new StsFetchError("CONTENT_TYPE", `policy from ${host} has content-type ${JSON.stringify(ctype)}`));
  }
  const tooLarge = () =>
    new StsFetchError("TOO_LARGE", `policy from ${host} is larger than ${STS_MAX_POLICY_BYTES} bytes`);
  if (Number(res.headers["content-length"] ?? 0) > STS_MAX_POLICY_BYTES) return finish(tooLarge());
  const chunks: Buffer[] = [];
  let size = 0;
  res.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > STS_MAX_POLICY_BYTES) return finish(tooLarge());
    chunks.push(chunk);
  });
  res.on("end", () => finish(null, Buffer.concat(chunks).toString("utf8")));
  res.on("error", (e) => finish(new StsFetchError("NETWORK", `policy fetch from ${host}: ${e.message}`, { cause: e })));
}

/**
 * RFC 8461 §3.3: the certificate MUST be valid for the Policy Host under RFC 6125: a DNS-ID
 * subjectAltName, wildcard only as the whole left-most label, no fallback to the subject CN.
 */
function policyHostIdentity(host: string, cert: tls.PeerCertificate): Error | undefined {
  const err = tls.checkServerIdentity(host, cert);
  if (err) return err;
  if (!cert.raw) return undefined;
  try {
    const ok = new X509Certificate(cert.raw).checkHost(host, {
      subject: "never",
      wildcards: true,
      partialWildcards: false,
      multiLabelWildcards: false,
    });
    if (ok) return undefined;
  } catch {
    // fall through: an unparsable certificate is not valid for the host
  }
  return Object.assign(new Error(`certificate has no DNS-ID subjectAltName for ${host}`), {
    code: "ERR_TLS_CERT_ALTNAME_INVALID",
  });
}

const CERT_CODES =
  /^(ERR_TLS_CERT_ALTNAME_INVALID|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_TLS_CERT)/;

function classify(e: NodeJS.ErrnoException, host: string): StsFetchError {
  const code = String(e.code ?? "");
  if (CERT_CODES.test(code)) {
    return new StsFetchError("CERT_INVALID", `certificate of ${host} rejected: ${code} ${e.message}`, { cause: e });
  }
  return new StsFetchError("NETWORK", `policy fetch from ${host} failed: ${code || e.message}`, { cause: e });
}
