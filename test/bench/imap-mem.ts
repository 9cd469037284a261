// Process memory as the IMAP bench reads it: VmRSS / RssAnon from /proc/PID/status for one
// process, and Rss / Pss summed over a process tree (Dovecot: a master and one process per
// connection, where Pss shares the common pages out fairly).

import { readFileSync } from "node:fs";

export type ProcMem = { rssKiB: number; anonKiB: number };
export type TreeMem = { processes: number; rssKiB: number; pssKiB: number };

export function procMem(pid: number): ProcMem {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN);
  return { rssKiB: kib("VmRSS"), anonKiB: kib("RssAnon") };
}

export function treeMem(pids: readonly number[]): TreeMem {
  let rssKiB = 0;
  let pssKiB = 0;
  let processes = 0;
  for (const pid of pids) {
    try {
      const s = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      rssKiB += Number(/^Rss:\s+(\d+) kB/m.exec(s)?.[1] ?? 0);
      pssKiB += Number(/^Pss:\s+(\d+) kB/m.exec(s)?.[1] ?? 0);
      processes++;
    } catch {
      // exited meanwhile (a login process handing over)
    }
  }
  return { processes, rssKiB, pssKiB };
}
