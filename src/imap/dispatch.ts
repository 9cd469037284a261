// Which command is valid in which state (RFC 9051 §6: any state, not authenticated,
// authenticated, selected) and the executor table. One executor per command file.

import type { Command, CommandName } from "../protocol/imap/types.ts";
import type { ImapSession, ImapState } from "./session.ts";

/** What a command may ask of its connection (STARTTLS, SASL exchanges, IDLE). */
export type ConnectionPort = {
  capabilities(): string[];
  readonly loginAllowed: boolean;
  /**
   * One raw line (a SASL response, IDLE's DONE); null at EOF, shutdown or after `timeoutMs`.
   * `onWake` runs after each wake-up that brought no line (a poke), with `tick` true once
   * every `tickMs` (IDLE keep-alives share the deadline's timer: one timer per connection).
   */
  readRawLine(timeoutMs: number, onWake?: (s: ImapSession, tick: boolean) => Promise<void>, tickMs?: number): Promise<string | null>;
  poke(): void;
  startTls(): Promise<boolean>;
  readonly authLimits: { readonly maxFailures: number; readonly delayMs: number };
  readonly keepaliveMs: number;
  /** The peer went away (EOF) or the server is stopping. */
  readonly closed: boolean;
  readonly idleTimeoutMs: number;
};

export type Executor<C extends Command = Command> = (s: ImapSession, tag: string, cmd: C, conn: ConnectionPort) => Promise<void>;

const ANY = ["CAPABILITY", "NOOP", "LOGOUT", "ID"] as const;
const NOT_AUTH = ["STARTTLS", "AUTHENTICATE", "LOGIN"] as const;
const AUTH = ["ENABLE", "SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB", "NAMESPACE", "STATUS", "APPEND", "IDLE"] as const;
const SELECTED = ["CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "UID EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "MOVE"] as const;

export function allowedIn(name: CommandName, state: ImapState): boolean {
  if ((ANY as readonly string[]).includes(name)) return true;
  if ((NOT_AUTH as readonly string[]).includes(name)) return state === "notauth";
  if ((AUTH as readonly string[]).includes(name)) return state === "auth" || state === "selected";
  if ((SELECTED as readonly string[]).includes(name)) return state === "selected";
  return false;
}

/** Commands during which EXPUNGE must not be sent (RFC 9051 §7.5.1); the UID forms may. */
export function forbidsExpunge(cmd: Command): boolean {
  return (cmd.name === "FETCH" || cmd.name === "STORE" || cmd.name === "SEARCH") && !cmd.uid;
}
