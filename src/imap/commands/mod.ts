// The executor of every command, one file each (DESIGN §2: split by command, not by layer).

import type { Command, CommandName } from "../../protocol/imap/types.ts";
import type { Executor } from "../dispatch.ts";
import { capability, noop, logout, id, namespace, check } from "./simple.ts";
import { starttls } from "./starttls.ts";
import { login } from "./login.ts";
import { authenticate } from "./authenticate.ts";
import { enable } from "./enable.ts";
import { select } from "./select.ts";
import { close, unselect } from "./close.ts";
import { idle } from "./idle.ts";
import { fetch } from "./fetch.ts";
import { create } from "./create.ts";
import { deleteMailbox } from "./delete.ts";
import { rename } from "./rename.ts";
import { subscribe, unsubscribe } from "./subscribe.ts";
import { list } from "./list.ts";
import { lsub } from "./lsub.ts";
import { status } from "./status.ts";
import { append } from "./append.ts";
import { expunge, uidExpunge } from "./expunge.ts";
import { search } from "./search.ts";
import { store } from "./store.ts";
import { copy, move } from "./copy-move.ts";

type Table = { [N in CommandName]: Executor<Extract<Command, { name: N }>> };

export const EXECUTORS: Table = {
  CAPABILITY: capability,
  NOOP: noop,
  LOGOUT: logout,
  ID: id,
  NAMESPACE: namespace,
  CHECK: check,
  STARTTLS: starttls,
  LOGIN: login,
  AUTHENTICATE: authenticate,
  ENABLE: enable,
  SELECT: select,
  EXAMINE: select,
  CLOSE: close,
  UNSELECT: unselect,
  IDLE: idle,
  FETCH: fetch,
  CREATE: create,
  DELETE: deleteMailbox,
  RENAME: rename,
  SUBSCRIBE: subscribe,
  UNSUBSCRIBE: unsubscribe,
  LIST: list,
  LSUB: lsub,
  STATUS: status,
  APPEND: append,
  EXPUNGE: expunge,
  "UID EXPUNGE": uidExpunge,
  SEARCH: search,
  STORE: store,
  COPY: copy,
  MOVE: move,
};
