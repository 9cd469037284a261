// The framer lets go of consumed input at once: an idle connection must not keep old
// chunks (after an APPEND, megabytes of message) alive until more input arrives.

import { expect, test } from "bun:test";
import { CommandFramer, POST_AUTH_LIMITS } from "../../../src/protocol/imap/framer.ts";

function pushAndFrame(f: CommandFramer): WeakRef<Uint8Array> {
  const chunk = new TextEncoder().encode("A1 APPEND INBOX {5+}\r\nhello\r\n");
  f.push(chunk);
  expect(f.next()?.type).toBe("command");
  expect(f.next()).toBeNull();
  return new WeakRef(chunk);
}

test("a consumed chunk is not referenced by the framer", async () => {
  const f = new CommandFramer(POST_AUTH_LIMITS);
  const refs = [pushAndFrame(f), pushAndFrame(f), pushAndFrame(f)];
  // WeakRef targets are kept alive until the current job ends; collect after it.
  await new Promise((r) => setTimeout(r, 0));
  Bun.gc(true);
  expect(refs.map((r) => r.deref() === undefined)).toEqual([true, true, true]);
  // The framer itself is still alive and working (it is what must not hold the chunks).
  f.push(new TextEncoder().encode("A2 NOOP\r\n"));
  expect(f.next()?.type).toBe("command");
});
