// Socket drivers: events reach the driver through module-level listeners (nothing allocated
// per connection), and detaching removes exactly the driver's listeners (STARTTLS swaps the
// socket while the listener's slot release must stay).

import { afterAll, beforeAll, expect, test } from "bun:test";
import * as net from "node:net";
import { attachDriver, detachDriver, watchSocket, type SocketDriver } from "../../src/net/watch-socket.ts";

let server: net.Server;
const accepted: net.Socket[] = [];
beforeAll(async () => {
  server = net.createServer((s) => accepted.push(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
});
afterAll(() => server.close());

/** A connected pair: [our accepted side, the client]. */
async function pair(): Promise<[net.Socket, net.Socket]> {
  const n = accepted.length;
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  while (accepted.length === n) await new Promise((r) => setTimeout(r, 5));
  return [accepted[n]!, client];
}

class Recorder implements SocketDriver {
  readonly got: string[] = [];
  gone = 0;
  onSocketBytes(b: Uint8Array): void {
    expect(b).toBeInstanceOf(Uint8Array);
    this.got.push(new TextDecoder().decode(b));
  }
  onSocketGone(): void {
    this.gone++;
  }
}

const EVENTS = ["data", "end", "close", "error"] as const;
const counts = (s: net.Socket) => EVENTS.map((e) => s.listenerCount(e));

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

test("bytes and the end of the connection reach the driver", async () => {
  const [sock, client] = await pair();
  const d = new Recorder();
  attachDriver(sock, d);
  client.write("a1 NOOP\r\n");
  await until(() => d.got.join("") === "a1 NOOP\r\n");
  client.end();
  await until(() => d.gone > 0);
});

test("detach removes exactly the driver's listeners; others stay and still fire", async () => {
  const [sock, client] = await pair();
  const before = counts(sock);
  let closes = 0;
  const other = () => closes++;
  sock.on("close", other);
  const d = new Recorder();
  attachDriver(sock, d);
  expect(counts(sock)).toEqual([before[0]! + 1, before[1]! + 1, before[2]! + 2, before[3]! + 1]);
  detachDriver(sock, d);
  detachDriver(sock, d); // idempotent
  expect(counts(sock)).toEqual([before[0]!, before[1]!, before[2]! + 1, before[3]!]);
  // A new driver (the TLS side after STARTTLS, here the same socket) takes over alone.
  const next = new Recorder();
  attachDriver(sock, next);
  client.write("x");
  await until(() => next.got.length === 1);
  expect(d.got).toEqual([]);
  client.destroy();
  await until(() => closes === 1 && next.gone > 0);
  expect(d.gone).toBe(0);
});

test("two sockets with their own drivers do not see each other's events", async () => {
  const [a, ca] = await pair();
  const [b, cb] = await pair();
  const da = new Recorder();
  const db = new Recorder();
  attachDriver(a, da);
  attachDriver(b, db);
  ca.write("to a");
  cb.write("to b");
  await until(() => da.got.length === 1 && db.got.length === 1);
  expect([da.got, db.got]).toEqual([["to a"], ["to b"]]);
  detachDriver(a, db); // not a's driver: nothing happens
  ca.write("again");
  await until(() => da.got.length === 2);
  ca.destroy();
  cb.destroy();
});

test("a socket carries one driver at a time", async () => {
  const [sock, client] = await pair();
  attachDriver(sock, new Recorder());
  expect(() => attachDriver(sock, new Recorder())).toThrow();
  client.destroy();
});

test("watchSocket: the callback form and its detach", async () => {
  const [sock, client] = await pair();
  const before = counts(sock);
  const got: string[] = [];
  let gone = 0;
  const detach = watchSocket(sock, { bytes: (b) => got.push(new TextDecoder().decode(b)), gone: () => gone++ });
  client.write("hi");
  await until(() => got.length === 1);
  detach();
  expect(counts(sock)).toEqual(before);
  client.destroy();
  await new Promise((r) => setTimeout(r, 30));
  expect(gone).toBe(0);
});
