// Sends one DNS question to the configured resolvers: UDP first, TCP when the answer is
// truncated (RFC 1035 §4.2, RFC 7766 §5), each try bounded by timeoutMs, `tries` rounds
// over the server list (as resolv.conf's `attempts`).

import { createSocket } from "node:dgram";
import { connect, isIPv6 } from "node:net";
import { decodeMessage, encodeQuery, RCODE, type Message } from "./wire.ts";

export type Server = { host: string; port: number };

/** "127.0.0.1", "127.0.0.1:5353", "[::1]:53" or "::1" → host and port (default 53). */
export function parseServer(s: string): Server {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) return { host: bracket[1]!, port: Number(bracket[2] ?? 53) };
  if (isIPv6(s)) return { host: s, port: 53 };
  const m = /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new Error(`bad DNS server address: ${s}`);
  return { host: m[1]!, port: Number(m[2] ?? 53) };
}

/** Why no answer came back; "timeout" also covers ICMP port-unreachable (ECONNREFUSED). */
export type TransportFailure = "timeout";

export type Exchange = { ok: true; message: Message } | { ok: false; failure: TransportFailure; detail: string };

const randomId = () => crypto.getRandomValues(new Uint16Array(1))[0]!;

/**
 * Asks each server in turn, `tries` rounds. NOERROR and NXDOMAIN are final; SERVFAIL, REFUSED
 * and no answer move on to the next server (as stub resolvers do); the last outcome is returned.
 * A FORMERR/NOTIMP to a query with EDNS is retried once without it (RFC 6891 §7).
 */
export async function exchange(servers: readonly Server[], name: string, qtype: number, timeoutMs: number, tries: number): Promise<Exchange> {
  let last: Exchange = { ok: false, failure: "timeout", detail: "no DNS servers" };
  for (let round = 0; round < tries; round++) {
    for (const server of servers) {
      let edns = true;
      for (let attempt = 0; attempt < 2; attempt++) {
        last = await askOne(server, name, qtype, timeoutMs, edns);
        const rcode = last.ok ? last.message.rcode : -1;
        if (edns && (rcode === RCODE.FORMERR || rcode === RCODE.NOTIMP)) {
          edns = false;
          continue;
        }
        break;
      }
      if (last.ok && (last.message.rcode === RCODE.NOERROR || last.message.rcode === RCODE.NXDOMAIN)) return last;
    }
  }
  return last;
}

async function askOne(server: Server, name: string, qtype: number, timeoutMs: number, edns: boolean): Promise<Exchange> {
  const id = randomId();
  const query = encodeQuery(id, name, qtype, edns);
  const udp = await overUdp(server, query, id, name, qtype, timeoutMs);
  if (!udp.ok || !udp.message.truncated) return udp;
  return await overTcp(server, query, id, name, qtype, timeoutMs);
}

/** A reply counts only if it comes from the server and echoes our ID and question (RFC 5452 §4). */
function matches(m: Message, id: number, name: string, qtype: number): boolean {
  return m.id === id && m.qtype === qtype && m.qname.toLowerCase() === name.replace(/\.$/, "").toLowerCase();
}

function overUdp(server: Server, query: Uint8Array, id: number, name: string, qtype: number, timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const sock = createSocket(isIPv6(server.host) ? "udp6" : "udp4");
    let done = false;
    const finish = (r: Exchange) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, failure: "timeout", detail: `no answer from ${server.host}:${server.port}` }), timeoutMs);
    sock.on("error", (e) => finish({ ok: false, failure: "timeout", detail: `${server.host}:${server.port}: ${e.message}` }));
    sock.on("message", (buf, rinfo) => {
      if (rinfo.port !== server.port) return;
      try {
        const m = decodeMessage(new Uint8Array(buf));
        if (matches(m, id, name, qtype)) finish({ ok: true, message: m });
      } catch {
        // not a DNS reply to us: keep waiting until the timer
      }
    });
    sock.connect(server.port, server.host, () => sock.send(query));
  });
}

function overTcp(server: Server, query: Uint8Array, id: number, name: string, qtype: number, timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const sock = connect({ host: server.host, port: server.port });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (r: Exchange) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, failure: "timeout", detail: `no TCP answer from ${server.host}:${server.port}` }), timeoutMs);
    sock.on("error", (e) => finish({ ok: false, failure: "timeout", detail: `${server.host}:${server.port} (TCP): ${e.message}` }));
    sock.on("connect", () => {
      // RFC 1035 §4.2.2: the message is prefixed with its two-byte length.
      const framed = Buffer.alloc(query.length + 2);
      framed.writeUInt16BE(query.length, 0);
      framed.set(query, 2);
      sock.write(framed);
    });
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      try {
        const m = decodeMessage(new Uint8Array(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        if (matches(m, id, name, qtype)) finish({ ok: true, message: m });
        else finish({ ok: false, failure: "timeout", detail: "TCP answer does not match the question" });
      } catch (e) {
        finish({ ok: false, failure: "timeout", detail: `bad TCP answer: ${(e as Error).message}` });
      }
    });
    sock.on("close", () => finish({ ok: false, failure: "timeout", detail: `${server.host}:${server.port} closed the TCP connection` }));
  });
}
