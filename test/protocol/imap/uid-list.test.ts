// UidList (ranges) behaves exactly like a sorted array of UIDs, checked against one.

import { expect, test } from "bun:test";
import { UidList } from "../../../src/protocol/imap/uid-list.ts";

function check(list: UidList, model: number[]): void {
  expect(list.length).toBe(model.length);
  expect(list.toArray()).toEqual(model);
  expect(list.last()).toBe(model.at(-1));
  for (let i = 0; i < model.length; i++) {
    expect(list.at(i)).toBe(model[i]);
    expect(list.indexOf(model[i])).toBe(i);
  }
  const max = (model.at(-1) ?? 0) + 3;
  for (let u = 0; u <= max; u++) {
    const lb = model.findIndex((x) => x >= u);
    expect(list.lowerBound(u)).toBe(lb < 0 ? model.length : lb);
    if (!model.includes(u)) expect(list.indexOf(u)).toBe(-1);
  }
  expect(list.at(model.length)).toBeUndefined();
  expect(list.at(-1)).toBeUndefined();
}

test("contiguous, with holes, removals at the start, middle and end", () => {
  const model = [1, 2, 3, 4, 5, 8, 9, 12];
  const list = new UidList(model);
  check(list, model);
  for (const i of [3, 0, model.length - 2, 2]) {
    list.removeAt(i);
    model.splice(i, 1);
    check(list, model);
  }
  list.push(20);
  model.push(20);
  list.push(21);
  model.push(21);
  check(list, model);
});

test("random pushes and removals agree with a plain array", () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const list = new UidList();
  const model: number[] = [];
  let next = 1;
  for (let step = 0; step < 2000; step++) {
    if (model.length === 0 || rnd() < 0.6) {
      next += rnd() < 0.8 ? 1 : 2 + Math.floor(rnd() * 5);
      list.push(next);
      model.push(next);
    } else {
      const i = Math.floor(rnd() * model.length);
      list.removeAt(i);
      model.splice(i, 1);
    }
    if (step % 97 === 0) check(list, model);
  }
  check(list, model);
});

test("fromRanges builds the same list as pushing each UID", () => {
  const ranges: [number, number][] = [[1, 3], [5, 5], [9, 12]];
  const model = [1, 2, 3, 5, 9, 10, 11, 12];
  check(UidList.fromRanges(ranges), model);
  check(UidList.fromRanges([]), []);
});
