// Spawns the real server process (`bun run src/main.ts`) and reads its listening ports
// from the start-up lines; stop() sends SIGTERM and waits for a clean exit.

import { resolve } from "node:path";

export type SpawnedServer = {
  pid: number;
  ports: Record<string, number>;
  output: () => string;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
};

const root = resolve(import.meta.dir, "../..");

export async function spawnServer(env: Record<string, string>, opts: { cmd?: string[]; timeoutMs?: number } = {}): Promise<SpawnedServer> {
  const proc = Bun.spawn(opts.cmd ?? ["bun", "run", "src/main.ts"], {
    cwd: root,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  let err = "";
  const ports: Record<string, number> = {};
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of chunks(proc.stderr)) err += decoder.decode(chunk);
  })();
  let markReady: (ok: boolean) => void = () => {};
  const ready = new Promise<boolean>((r) => (markReady = r));
  // Keep draining stdout after "ready" so the child never blocks on a full pipe.
  void (async () => {
    for await (const chunk of chunks(proc.stdout)) {
      out += decoder.decode(chunk);
      for (const m of out.matchAll(/hikyaku: (\w+) listening on [^\s]+:(\d+)/g)) ports[m[1]] = Number(m[2]);
      if (out.includes("hikyaku: ready")) markReady(true);
    }
    markReady(false);
  })();
  const timeout = new Promise<false>((r) => setTimeout(() => r(false), opts.timeoutMs ?? 20_000));
  if (!(await Promise.race([ready, timeout]))) {
    proc.kill(9);
    throw new Error(`server did not start:\n${out}\n${err}`);
  }
  let stopped = false;
  return {
    pid: proc.pid,
    ports,
    output: () => out + err,
    async stop() {
      if (stopped) return proc.exitCode;
      stopped = true;
      proc.kill("SIGTERM");
      return await proc.exited;
    },
    async kill9() {
      stopped = true;
      proc.kill(9);
      await proc.exited;
    },
  };
}

async function* chunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}
