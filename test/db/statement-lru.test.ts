// StatementLru: one make() per SQL text while it stays cached, least recently used evicted.

import { expect, test } from "bun:test";
import { StatementLru } from "../../src/db/statement-lru.ts";

test("prepares once per text, refreshes on use, evicts the least recently used", () => {
  const made: string[] = [];
  const lru = new StatementLru((sql) => {
    made.push(sql);
    return { sql };
  }, 2);
  const a = lru.get("a");
  expect(lru.get("a")).toBe(a);
  lru.get("b");
  lru.get("a"); // a is now the most recent
  lru.get("c"); // evicts b
  lru.get("a");
  lru.get("b"); // made again; evicts c
  lru.get("c"); // made again
  expect(made).toEqual(["a", "b", "c", "b", "c"]);
  lru.clear();
  lru.get("a");
  expect(made.at(-1)).toBe("a");
});
