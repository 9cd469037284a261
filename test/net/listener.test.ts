// Listeners: connection slots are taken per socket and given back on close (by one shared
// function, nothing per connection), limits refuse with the protocol's line, and a driver
// that cannot be built costs its socket, not the slot.

import { afterEach, expect, test } from "bun:test";
import * as net from "node:net";
import { ConnectionCounter, startListener, type StartedListener } from "../../src/net/listener.ts";
import { createLogger } from "../../src/log/logger.ts";

let started: StartedListener | null = null;
afterEach(async () => {
  await started?.close(100);
  started = null;
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

/** Connects and collects what the server sends until it closes. */
function connect(port: number) {
  const sock = net.connect(port, "127.0.0.1");
  const st = { text: "", closed: false, sock };
  sock.on("data", (d) => (st.text += d.toString()));
  sock.on("error", () => {});
  sock.on("close", () => (st.closed = true));
  return st;
}

test("a slot is held while the connection is open and given back when it closes", async () => {
  const counter = new ConnectionCounter({ maxConnections: 2, maxConnectionsPerIp: 2 });
  const served: net.Socket[] = [];
  const errors: string[] = [];
  started = await startListener({
    host: "127.0.0.1", port: 0, implicitTls: false, certs: null, counter,
    refuse: (why) => `NO ${why}\r\n`,
    onConnection: (socket) => {
      served.push(socket);
      return new Promise<void>((resolve) => socket.on("close", () => resolve()));
    },
    log: createLogger({ sink: (l) => errors.push(l) }),
  });
  const a = connect(started.port);
  const b = connect(started.port);
  await until(() => served.length === 2);
  expect(counter.total).toBe(2);
  const c = connect(started.port);
  await until(() => c.closed);
  expect(c.text).toBe("NO total\r\n");
  a.sock.destroy();
  await until(() => counter.total === 1);
  // The release runs once however the socket ends (destroyed twice here).
  served[0]!.destroy();
  await new Promise((r) => setTimeout(r, 20));
  expect(counter.total).toBe(1);
  const d = connect(started.port);
  await until(() => served.length === 3);
  expect(counter.total).toBe(2);
  b.sock.destroy();
  d.sock.destroy();
  await until(() => counter.total === 0);
  expect(errors).toEqual([]);
});

test("a driver that throws while being built: logged, socket destroyed, slot given back", async () => {
  const counter = new ConnectionCounter({ maxConnections: 5, maxConnectionsPerIp: 5 });
  const errors: string[] = [];
  started = await startListener({
    host: "127.0.0.1", port: 0, implicitTls: false, certs: null, counter,
    refuse: () => "NO\r\n",
    onConnection: () => {
      throw new Error("cannot build");
    },
    log: createLogger({ sink: (l) => errors.push(l) }),
  });
  const a = connect(started.port);
  await until(() => a.closed);
  await until(() => counter.total === 0);
  expect(errors.map((l) => JSON.parse(l).msg)).toEqual(["connection handler failed"]);
});

test("a run that rejects is logged", async () => {
  const counter = new ConnectionCounter({ maxConnections: 5, maxConnectionsPerIp: 5 });
  const errors: string[] = [];
  started = await startListener({
    host: "127.0.0.1", port: 0, implicitTls: false, certs: null, counter,
    refuse: () => "NO\r\n",
    onConnection: async (socket) => {
      socket.destroy();
      throw new Error("late");
    },
    log: createLogger({ sink: (l) => errors.push(l) }),
  });
  const a = connect(started.port);
  await until(() => a.closed && errors.length === 1);
  expect(JSON.parse(errors[0]!).error.message).toBe("late");
  await until(() => counter.total === 0);
});
