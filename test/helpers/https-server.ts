// Test helper: a loopback HTTPS server (node:https, so it runs on Bun and Deno) that serves
// fixed responses per path with a chosen certificate, and counts the requests it answers.

import { createServer } from "node:https";
import type { AddressInfo } from "node:net";

export type HttpsRoute = {
  status?: number;
  body?: string | Uint8Array;
  contentType?: string;
  /** Extra headers; a transfer-encoding header suppresses the default Content-Length. */
  headers?: Record<string, string>;
};

export type HttpsServerOptions = {
  /** Loopback address only (tests never listen on public interfaces). Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  cert: { certPem: string; keyPem: string };
  routes?: Record<string, HttpsRoute>;
};

export type TestHttpsServer = {
  url: string;
  host: string;
  port: number;
  /** Requests answered so far, all paths. */
  readonly requests: number;
  /** Host headers seen, in order. */
  readonly hostHeaders: readonly string[];
  /** Replace (or add, or with `null` remove) the response for a path. */
  setRoute(path: string, route: HttpsRoute | null): void;
  stop(): Promise<void>;
};

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

export async function startHttpsServer(opts: HttpsServerOptions): Promise<TestHttpsServer> {
  const host = opts.host ?? "127.0.0.1";
  if (!LOOPBACK.test(host)) throw new Error(`test HTTPS server must listen on loopback, not ${host}`);
  const routes = new Map(Object.entries(opts.routes ?? {}));
  let requests = 0;
  const hostHeaders: string[] = [];

  const server = createServer({ cert: opts.cert.certPem, key: opts.cert.keyPem }, (req, res) => {
    requests++;
    hostHeaders.push(String(req.headers.host ?? ""));
    const route = routes.get((req.url ?? "/").split("?")[0]);
    if (route === undefined) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found\n");
      return;
    }
    const headers: Record<string, string> = { ...route.headers };
    if (route.contentType !== undefined) headers["content-type"] = route.contentType;
    const body = typeof route.body === "string" ? Buffer.from(route.body) : (route.body ?? new Uint8Array());
    // Content-Length unless the route asks for chunked (Bun's node:http would always chunk).
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "transfer-encoding")) {
      headers["content-length"] = String(body.byteLength);
    }
    res.writeHead(route.status ?? 200, headers);
    res.end(body);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  return {
    url: `https://${urlHost}:${port}`,
    host,
    port,
    get requests() {
      return requests;
    },
    get hostHeaders() {
      return hostHeaders;
    },
    setRoute(path, route) {
      if (route === null) routes.delete(path);
      else routes.set(path, route);
    },
    stop() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}
