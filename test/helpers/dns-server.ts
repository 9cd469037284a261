// A real authoritative DNS server (Knot DNS, Debian package `knot`) on loopback for the
// delivery and trust suites (DESIGN §7). Everything lives in a temp directory: config, zone
// files, journal, control socket and log; nothing under /etc or /var is read or written.
//
// SERVFAIL: list a zone in `servfail`. It is configured but its zone file is never written,
// so knotd cannot load it and answers every query inside it with SERVFAIL (RCODE 2).
// Names outside every configured zone get REFUSED (RCODE 5), as from any authoritative server.

import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createResolver } from "../../src/dns/resolver.ts";
import { requireTools, run } from "./debian.ts";

export type DnsRecord = {
  /** "@" for the apex, a relative name ("mx", "_dmarc") or an absolute one ending in ".". */
  name: string;
  type: "A" | "AAAA" | "MX" | "TXT" | "CNAME" | "PTR" | "NS" | "SRV" | "TLSA" | "CAA";
  /**
   * Zone-file RDATA ("10 mx.other.test.", "0 ." for a null MX, "127.0.0.3"). For TXT the
   * plain text: it is split into ≤255-byte character-strings (RFC 1035 §3.3.14) and quoted
   * here; pass an array to choose the strings yourself.
   */
  value: string | readonly string[];
  ttl?: number;
};

export type Zones = Record<string, readonly DnsRecord[]>;

export type DnsServerOptions = {
  zones: Zones;
  /** Zones that answer SERVFAIL (configured without a loadable zone file). */
  servfail?: readonly string[];
  host?: string;
};

export type DnsServer = {
  host: string;
  port: number;
  /** "127.0.0.1:PORT", ready for the config's `dns.servers`. */
  address: string;
  pid: number;
  /** Replaces the served records (zones may be added or removed) and waits until they are live. */
  update(zones: Zones): Promise<void>;
  stop(): Promise<void>;
};

export const knot = requireTools("dns-server (knot)", ["knotd", "knotc"], "apt-get install knot, or bash .ci/run");

const MAX_PORT_TRIES = 5;
/** Each zone gets `_hikyaku-serial TXT "<serial>"` so that waitServing can see which version is live. */
const SERIAL_LABEL = "_hikyaku-serial";

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const host = opts.host ?? "127.0.0.1";
  let lastError: unknown;
  for (let i = 0; i < MAX_PORT_TRIES; i++) {
    const port = await freePort(host);
    try {
      return await startOn(host, port, opts);
    } catch (err) {
      lastError = err; // most likely someone took the port between probe and bind: retry
    }
  }
  throw lastError;
}

async function startOn(host: string, port: number, opts: DnsServerOptions): Promise<DnsServer> {
  const dir = mkdtempSync(join(tmpdir(), "hikyaku-knot-"));
  const conf = join(dir, "knot.conf");
  const sock = join(dir, "knot.sock");
  const servfail = (opts.servfail ?? []).map(fqdn);
  let serial = 1;
  let zones = opts.zones;
  const writeAll = () => {
    const names = [...Object.keys(zones).map(fqdn), ...servfail];
    writeFileSync(conf, knotConf(dir, host, port, names));
    for (const [zone, records] of Object.entries(zones)) {
      writeFileSync(join(dir, `${fqdn(zone)}zone`), zoneFile(fqdn(zone), serial, records));
    }
  };
  writeAll();

  const child = spawn(knot.bin("knotd"), ["-c", conf], { stdio: "ignore" });
  let dead = false;
  const exited = new Promise<void>((r) => {
    const gone = () => {
      dead = true;
      r();
    };
    child.once("exit", gone);
    child.once("error", gone); // could not be spawned at all
  });
  const log = () => {
    try {
      return readFileSync(join(dir, "knot.log"), "utf8");
    } catch {
      return "(no log)";
    }
  };
  const stop = async () => {
    if (!dead && child.pid) process.kill(child.pid, "SIGTERM");
    const killer = setTimeout(() => !dead && child.pid && process.kill(child.pid, "SIGKILL"), 5_000);
    await exited;
    clearTimeout(killer);
    rmSync(dir, { recursive: true, force: true });
  };
  const ready = () => waitServing(host, port, zones, servfail, serial, () => dead);
  if (!(await ready())) {
    const text = log();
    await stop();
    throw new Error(`knotd did not come up on ${host}:${port}:\n${text}`);
  }
  return {
    host,
    port,
    address: host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`,
    pid: child.pid ?? 0,
    async update(next) {
      zones = next;
      serial++;
      writeAll();
      const r = await run(knot.bin("knotc"), ["-c", conf, "-s", sock, "reload"], { timeoutMs: 10_000 });
      if (r.code !== 0) throw new Error(`knotc reload failed: ${r.stdout}${r.stderr}`);
      if (!(await ready())) throw new Error(`knotd did not serve the update:\n${log()}`);
    },
    stop,
  };
}

function knotConf(dir: string, host: string, port: number, zones: readonly string[]): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    "# generated by test/helpers/dns-server.ts",
    "server:",
    `    rundir: ${q(dir)}`,
    `    listen: ${host}@${port}`,
    "    udp-workers: 1",
    "    tcp-workers: 1",
    "    background-workers: 1",
    "control:",
    `    listen: ${q(join(dir, "knot.sock"))}`,
    "log:",
    `  - target: ${q(join(dir, "knot.log"))}`,
    "    any: info",
    "database:",
    `    storage: ${q(dir)}`,
    "template:",
    "  - id: default",
    `    storage: ${q(dir)}`,
    '    file: "%s.zone"',
    // The zone files are the only truth: never write back, never keep a journal.
    "    zonefile-sync: -1",
    "    journal-content: none",
    "zone:",
    ...zones.map((z) => `  - domain: ${q(z)}`),
    "",
  ].join("\n");
}

function zoneFile(zone: string, serial: number, records: readonly DnsRecord[]): string {
  // SOA minimum (negative-caching TTL, RFC 2308 §4) and TTLs of 1 s: nothing is worth caching.
  const lines = [
    `$ORIGIN ${zone}`,
    "$TTL 1",
    `@ SOA ns.invalid. hostmaster.invalid. ${serial} 3600 600 86400 1`,
    "@ NS ns.invalid.",
    `${SERIAL_LABEL} TXT "${serial}"`,
  ];
  for (const r of records) {
    const rdata = r.type === "TXT" ? txtRdata(r.value) : String(r.value);
    lines.push(`${r.name} ${r.ttl ?? 1} IN ${r.type} ${rdata}`);
  }
  return `${lines.join("\n")}\n`;
}

/** TXT RDATA in zone-file syntax: ≤255-byte character-strings (RFC 1035 §3.3.14, §5.1 quoting). */
export function txtRdata(value: string | readonly string[]): string {
  const bytes = (s: string) => new TextEncoder().encode(s);
  const strings: Uint8Array[] = [];
  if (typeof value === "string") {
    const all = bytes(value);
    for (let i = 0; i < all.length; i += 255) strings.push(all.subarray(i, i + 255));
    if (all.length === 0) strings.push(all);
  } else {
    for (const s of value) {
      const b = bytes(s);
      if (b.length > 255) throw new Error(`TXT string longer than 255 bytes: ${s.slice(0, 20)}…`);
      strings.push(b);
    }
  }
  return strings.map(quote).join(" ");
}

function quote(b: Uint8Array): string {
  let out = '"';
  for (const c of b) {
    if (c === 0x22 || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\${String(c).padStart(3, "0")}`; // \DDD (RFC 1035 §5.1)
  }
  return `${out}"`;
}

const fqdn = (name: string) => (name.endsWith(".") ? name : `${name}.`).toLowerCase();

/** Polls until every zone serves `serial` and every servfail zone answers SERVFAIL (bounded). */
async function waitServing(host: string, port: number, zones: Zones, servfail: readonly string[], serial: number, dead: () => boolean): Promise<boolean> {
  const r = createResolver({ servers: [host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`], timeoutMs: 200, tries: 1 });
  const checks = [
    ...Object.keys(zones).map((z) => async () => (await r.txt(`${SERIAL_LABEL}.${z}`))[0]?.[0] === String(serial)),
    ...servfail.map((z) => async () => {
      try {
        await r.a(z);
        return false;
      } catch (e) {
        return (e as { code?: string }).code === "SERVFAIL";
      }
    }),
  ];
  if (checks.length === 0) checks.push(async () => (await r.a("invalid").catch((e) => e.code)) === "REFUSED");
  for (let i = 0; i < 100 && !dead(); i++) {
    const ok = await Promise.all(checks.map((c) => c().catch(() => false)));
    if (ok.every(Boolean)) return true;
    await new Promise((res) => setTimeout(res, 100));
  }
  return false;
}

/** A port free for both TCP and UDP on `host` (bound to port 0, then released). */
async function freePort(host: string): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((res, rej) => {
      const s = createServer();
      s.once("error", rej);
      s.listen(0, host, () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const udpFree = await new Promise<boolean>((res) => {
      const u = createSocket(host.includes(":") ? "udp6" : "udp4");
      u.once("error", () => res(false));
      u.bind(port, host, () => u.close(() => res(true)));
    });
    if (udpFree) return port;
  }
  throw new Error("no free port for the DNS server");
}
