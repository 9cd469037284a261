// A session's view of its selected mailbox (RFC 9051 §2.3.1.2): the UID list behind its
// sequence numbers, and the changes other sessions made that it has not been told yet.
// Expunges wait for a point where they may be announced (RFC 9051 §7.5.1).

import type { SequenceSet } from "./types.ts";
import { UidList } from "./uid-list.ts";

export type ViewChange = { readonly kind: "exists" | "expunge" | "flags" | "deleted"; readonly uids: readonly number[]; readonly modseq: number };

export type ViewUpdate = {
  /** Sequence numbers to announce as `* n EXPUNGE`, in sending order (each already adjusted). */
  readonly expunged: number[];
  /** UIDs to announce as `* VANISHED` (QRESYNC sessions) instead of EXPUNGE. */
  readonly vanished: number[];
  /** New EXISTS count, or null when unchanged. */
  readonly exists: number | null;
  /** UIDs (still present) whose flags changed: `* n FETCH (FLAGS …)`. */
  readonly flags: number[];
  /** The mailbox was deleted under us (RFC 9051 §7.1: the session must be told, BYE or NO). */
  readonly deleted: boolean;
};

/** What an empty pending set or `recent` reads as: never written to (the fields are made on first use). */
const NONE: ReadonlySet<number> = new Set();

export class MailboxView {
  /** UIDs in sequence order, as the client knows them. */
  #uids: UidList;
  // The pending changes and `recent` are null until something happens: most selected
  // sessions sit idle with nothing pending, and every one of them would hold four containers.
  #pendingExists: number[] | null = null;
  #pendingExpunge: Set<number> | null = null;
  #pendingFlags: Set<number> | null = null;
  #deleted = false;
  #recent: Set<number> | null = null;
  highestModseq: number;

  constructor(uids: readonly number[] | UidList, highestModseq: number) {
    this.#uids = uids instanceof UidList ? uids : new UidList(uids);
    this.highestModseq = highestModseq;
  }

  /** Messages that arrived while selected: \Recent for rev1 clients of this session. */
  get recent(): ReadonlySet<number> {
    return this.#recent ?? NONE;
  }

  get exists(): number {
    return this.#uids.length;
  }

  /** A copy, in sequence order (for a full scan such as SEARCH). */
  get uids(): readonly number[] {
    return this.#uids.toArray();
  }

  /** 1-based sequence number of a UID, or 0 when the client does not know it. */
  seqOf(uid: number): number {
    return this.#uids.indexOf(uid) + 1;
  }

  uidAt(seq: number): number | undefined {
    return this.#uids.at(seq - 1);
  }

  /**
   * The UIDs a set names (RFC 9051 §9 seq-number / uid): message numbers against the view, or
   * UIDs, where `*` is the largest (RFC 9051 §6.4.8: a UID range matches the UIDs that exist).
   */
  resolve(set: SequenceSet, byUid: boolean, saved: readonly number[] | null): number[] {
    if (set.kind === "saved") return saved ? saved.filter((u) => this.seqOf(u) > 0) : [];
    const out = new Set<number>();
    const n = this.#uids.length;
    if (n === 0) return [];
    const maxUid = this.#uids.last()!;
    for (const [a0, b0] of set.ranges) {
      if (byUid) {
        let a = a0 === Infinity ? maxUid : a0;
        let b = b0 === Infinity ? maxUid : b0;
        if (a > b) [a, b] = [b, a];
        for (let i = this.#uids.lowerBound(a); i < n; i++) {
          const u = this.#uids.at(i)!;
          if (u > b) break;
          out.add(u);
        }
      } else {
        let a = a0 === Infinity ? n : a0;
        let b = b0 === Infinity ? n : b0;
        if (a > b) [a, b] = [b, a];
        for (let s = Math.max(1, a); s <= Math.min(b, n); s++) out.add(this.#uids.at(s - 1)!);
      }
    }
    return [...out].sort((x, y) => x - y);
  }

  /** True when a message-number set names a number beyond EXISTS (RFC 9051 §6.4.5: BAD). */
  outOfRange(set: SequenceSet): boolean {
    if (set.kind === "saved") return false;
    return set.ranges.some(([a, b]) => (a !== Infinity && a > this.#uids.length) || (b !== Infinity && b > this.#uids.length));
  }

  /** A change published by any session (or delivery); applied at the next allowed point. */
  onChange(c: ViewChange): void {
    if (c.modseq > this.highestModseq) this.highestModseq = c.modseq;
    switch (c.kind) {
      case "exists":
        for (const u of c.uids) {
          if (this.seqOf(u) === 0 && !this.#pendingExists?.includes(u)) (this.#pendingExists ??= []).push(u);
        }
        break;
      case "expunge":
        for (const u of c.uids) {
          const i = this.#pendingExists?.indexOf(u) ?? -1;
          if (i >= 0) this.#pendingExists!.splice(i, 1);
          else (this.#pendingExpunge ??= new Set()).add(u);
        }
        break;
      case "flags":
        for (const u of c.uids) (this.#pendingFlags ??= new Set()).add(u);
        break;
      case "deleted":
        this.#deleted = true;
        break;
    }
  }

  /** Changes this session itself made: the view follows at once (its own responses say so). */
  applyOwnExpunge(uids: readonly number[]): number[] {
    const seqs: number[] = [];
    for (const u of uids) {
      this.#pendingExpunge?.delete(u);
      this.#pendingFlags?.delete(u);
      this.#recent?.delete(u);
      const s = this.seqOf(u);
      if (s === 0) {
        // Not announced yet (another session added it): it must never be announced now.
        const i = this.#pendingExists?.indexOf(u) ?? -1;
        if (i >= 0) this.#pendingExists!.splice(i, 1);
        continue;
      }
      seqs.push(s);
      this.#uids.removeAt(s - 1);
    }
    return seqs;
  }

  /**
   * What to tell the client now. `allowExpunge` is false during FETCH, STORE and SEARCH
   * (RFC 9051 §7.5.1); new messages and flag changes may always be announced.
   */
  takeUpdate(allowExpunge: boolean, vanishedMode: boolean): ViewUpdate {
    const expunged: number[] = [];
    const vanished: number[] = [];
    if (allowExpunge && this.#pendingExpunge !== null && this.#pendingExpunge.size > 0) {
      const gone = [...this.#pendingExpunge].sort((a, b) => a - b);
      this.#pendingExpunge = null;
      for (const u of gone) {
        const s = this.seqOf(u);
        if (s === 0) continue;
        this.#pendingFlags?.delete(u);
        this.#recent?.delete(u);
        if (vanishedMode) {
          vanished.push(u);
          this.#uids.removeAt(s - 1);
        } else {
          // Announced one by one: each EXPUNGE renumbers the messages after it.
          expunged.push(s);
          this.#uids.removeAt(s - 1);
        }
      }
    }
    let exists: number | null = null;
    if (this.#pendingExists !== null && this.#pendingExists.length > 0) {
      const add = this.#pendingExists.sort((a, b) => a - b).filter((u) => u > (this.#uids.last() ?? 0));
      this.#pendingExists = null;
      for (const u of add) {
        this.#uids.push(u);
        (this.#recent ??= new Set()).add(u);
      }
      if (add.length > 0) exists = this.#uids.length;
    }
    const pf = this.#pendingFlags;
    const flags = pf === null ? [] : [...pf].filter((u) => this.seqOf(u) > 0).sort((a, b) => a - b);
    this.#pendingFlags = null;
    return { expunged, vanished, exists, flags, deleted: this.#deleted };
  }

  /** Pending expunges exist that could not be announced yet. */
  get hasPendingExpunge(): boolean {
    return this.#pendingExpunge !== null && this.#pendingExpunge.size > 0;
  }
}
