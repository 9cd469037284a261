// One IMAP session's state (RFC 9051 §3): who is logged in, the selected mailbox and its
// view, enabled extensions, and the output path with backpressure. Commands act on it.

import type { Db } from "../db/client.ts";
import type { Bus } from "../events/bus.ts";
import type { Config } from "../config/schema.ts";
import type { Logger } from "../log/logger.ts";
import type { MailboxHub } from "../store/hub.ts";
import type { TlsInfo } from "../events/catalog.ts";
import { MailboxView } from "../protocol/imap/view.ts";
import { ImapWriter } from "../protocol/imap/serialize.ts";
import { encodeMailboxName } from "./names.ts";
import { getMessages } from "../store/imap-messages.ts";
import { formatFlags } from "../protocol/imap/serialize.ts";
import { formatSequenceSet } from "../protocol/imap/sequence.ts";

export type ImapState = "notauth" | "auth" | "selected" | "logout";

export type Selected = {
  readonly mailboxId: number;
  /** The name as stored (UTF-8). */
  readonly name: string;
  readonly readOnly: boolean;
  readonly uidValidity: number;
  readonly view: MailboxView;
  /** CONDSTORE was enabled by this SELECT/EXAMINE or ENABLE (RFC 7162 §3.1). */
  condstore: boolean;
  unsubscribe: () => void;
};

export type ImapDeps = {
  readonly db: Db;
  readonly bus: Bus;
  readonly hub: MailboxHub;
  readonly config: Config;
  readonly log: Logger;
  readonly now: () => number;
  readonly appendLimit: number;
};

export type Output = { write(chunks: readonly Uint8Array[]): Promise<void> };

const enc = new TextEncoder();
const NONE_ENABLED: ReadonlySet<string> = new Set();

export class ImapSession {
  state: ImapState = "notauth";
  user: { id: number; address: string } | null = null;
  selected: Selected | null = null;
  /** ENABLEd extensions (RFC 5161); most sessions enable none, so the set is made on demand. */
  #enabled: Set<string> | null = null;
  /** SEARCHRES `$` (RFC 5182): UIDs of the last SEARCH ... RETURN (SAVE). */
  saved: number[] | null = null;
  tls: TlsInfo | null;
  authFailures = 0;
  /** True while IDLE runs: changes are pushed at once. */
  idling = false;

  constructor(
    readonly id: string,
    readonly remoteAddress: string,
    tls: TlsInfo | null,
    readonly deps: ImapDeps,
    private readonly out: Output,
    readonly log: Logger,
  ) {
    this.tls = tls;
  }

  get enabled(): ReadonlySet<string> {
    return this.#enabled ?? NONE_ENABLED;
  }

  enable(extension: string): void {
    (this.#enabled ??= new Set()).add(extension);
  }

  /** IMAP4rev2 enabled (RFC 9051 §6.3.1); otherwise rev1 behaviour. */
  get rev2(): boolean {
    return this.enabled.has("IMAP4REV2");
  }

  /** UTF-8 in strings and mailbox names (RFC 6855 UTF8=ACCEPT, implied by IMAP4rev2). */
  get utf8(): boolean {
    return this.rev2 || this.enabled.has("UTF8=ACCEPT");
  }

  get qresync(): boolean {
    return this.enabled.has("QRESYNC");
  }

  writer(): ImapWriter {
    return new ImapWriter({ utf8: this.utf8 });
  }

  async send(w: ImapWriter): Promise<void> {
    await this.out.write(w.finish());
  }

  async line(text: string): Promise<void> {
    await this.out.write([enc.encode(text + "\r\n")]);
  }

  async tagged(tag: string, status: "OK" | "NO" | "BAD", text: string): Promise<void> {
    await this.line(`${tag} ${status} ${text}`);
  }

  mailboxName(name: string): string {
    return encodeMailboxName(name, this.utf8);
  }

  /** Leaves the selected state (CLOSE, UNSELECT, a new SELECT, LOGOUT). */
  deselect(): void {
    if (!this.selected) return;
    this.selected.unsubscribe();
    this.selected = null;
    this.saved = null;
    if (this.state === "selected") this.state = "auth";
  }

  /**
   * Announces what other sessions changed (RFC 9051 §7.4.1, §7.5.1): EXPUNGE/VANISHED only
   * when allowed, then EXISTS (and RECENT for rev1), then FLAGS of changed messages.
   */
  async flushUpdates(allowExpunge: boolean): Promise<void> {
    const sel = this.selected;
    if (!sel) return;
    const u = sel.view.takeUpdate(allowExpunge, this.qresync);
    if (u.deleted) {
      // RFC 9051 §7.1.5: the selected mailbox vanished; the connection cannot continue sanely.
      await this.line("* BYE [CLOSED] The selected mailbox was deleted");
      this.state = "logout";
      return;
    }
    for (const seq of u.expunged) await this.line(`* ${seq} EXPUNGE`);
    if (u.vanished.length > 0) await this.line(`* VANISHED ${formatSequenceSet(u.vanished)}`);
    if (u.exists !== null) {
      await this.line(`* ${u.exists} EXISTS`);
      if (!this.rev2) await this.line(`* ${sel.view.recent.size} RECENT`);
    }
    if (u.flags.length > 0) {
      const metas = await getMessages(this.deps.db, sel.mailboxId, u.flags);
      for (const m of metas) {
        const seq = sel.view.seqOf(m.uid);
        if (seq === 0) continue;
        const modseq = sel.condstore ? ` MODSEQ (${m.modseq})` : "";
        const recent = !this.rev2 && sel.view.recent.has(m.uid) ? ["\\Recent"] : [];
        await this.line(`* ${seq} FETCH (UID ${m.uid} FLAGS ${formatFlags([...m.flags, ...recent])}${modseq})`);
      }
    }
  }
}
