// Small process and socket helpers shared by the bench scripts: run a command, find a free
// loopback port, wait for an SMTP banner, stop a child we started (by its PID only).

import * as net from "node:net";

export type RunResult = { code: number; stdout: string; stderr: string };

/** Runs a command to completion, bounded by timeoutMs (then SIGKILL to that PID). */
export async function run(cmd: string[], opts: { env?: Record<string, string | undefined>; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  const p = Bun.spawn(cmd, { env: opts.env ?? process.env, cwd: opts.cwd, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => p.kill(9), opts.timeoutMs ?? 60_000);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export function which(name: string): string | null {
  return Bun.which(name, { PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin` });
}

/** An unused 127.0.0.1 port (tiny race between close and reuse; fine for a bench). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something on 127.0.0.1:port sends an SMTP 220 banner; bounded. */
export async function waitForBanner(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port });
      let buf = "";
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.setTimeout(2000, () => done(false));
      s.on("data", (d) => {
        buf += d.toString("latin1");
        if (/^220[ -]/.test(buf)) {
          s.end("QUIT\r\n");
          resolve(true);
        }
      });
      s.on("error", () => done(false));
    });
    if (ok) return;
    await Bun.sleep(100);
  }
  throw new Error(`no SMTP banner on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** SIGTERM to the child's own PID, then SIGKILL to it after graceMs if it is still there. */
export async function stopChild(p: { pid: number; exited: Promise<number>; kill(sig?: number | NodeJS.Signals): void }, graceMs = 10_000): Promise<number | null> {
  p.kill("SIGTERM");
  const code = await Promise.race([p.exited, Bun.sleep(graceMs).then(() => null)]);
  if (code !== null) return code;
  p.kill(9);
  await p.exited;
  return null;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
