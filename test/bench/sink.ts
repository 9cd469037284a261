// Postfix's smtp-sink as the common target of `bun run bench outbound`: it accepts and
// discards mail; `-c` prints "sess=N quit=N mesg=N" counters, which give the messages received.

import { which } from "./proc.ts";

export type Sink = { port: number; received(): number; stop(): Promise<void> };

export async function startSink(port: number): Promise<Sink> {
  const bin = which("smtp-sink");
  if (!bin) throw new Error("smtp-sink not found (Debian package postfix)");
  // -u: smtp-sink refuses to keep root privileges; 1024 = listen backlog.
  const p = Bun.spawn([bin, "-u", "nobody", "-c", "-h", "sink.bench.test", `127.0.0.1:${port}`, "1024"], { stdout: "pipe", stderr: "pipe" });
  let received = 0;
  let tail = "";
  (async () => {
    const dec = new TextDecoder();
    const reader = p.stdout.getReader();
    for (;;) {
      const { value: chunk, done } = await reader.read();
      if (done) break;
      tail = (tail + dec.decode(chunk)).slice(-200);
      const all = [...tail.matchAll(/mesg=(\d+)/g)];
      const last = all.at(-1);
      if (last) received = Number(last[1]);
    }
  })();
  return {
    port,
    received: () => received,
    async stop() {
      p.kill("SIGTERM");
      await Promise.race([p.exited, Bun.sleep(5000)]);
      if (p.exitCode === null) p.kill(9);
    },
  };
}
