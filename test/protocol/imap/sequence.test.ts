// Sequence-set tests (RFC 9051 §9, RFC 5182 "$"): parsing, resolution against the largest
// number, membership, expansion and compact formatting (RFC 4315 COPYUID, RFC 7162 VANISHED).
import { describe, expect, test } from "bun:test";
import { expandSet, formatSequenceSet, highestNumber, parseSequenceSet, resolveRanges, setContains } from "../../../src/protocol/imap/sequence.ts";
import type { NumberSet } from "../../../src/protocol/imap/sequence.ts";

const INF = Number.POSITIVE_INFINITY;
const numbers = (text: string): NumberSet => {
  const s = parseSequenceSet(text);
  if (s === null || s.kind !== "set") throw new Error(`not a set: ${text}`);
  return s;
};

describe("parseSequenceSet", () => {
  const valid: [string, unknown][] = [
    ["1", [[1, 1]]],
    ["1:*", [[1, INF]]],
    ["*:3", [[3, INF]]],
    ["*", [[INF, INF]]],
    ["7:4", [[4, 7]]],
    ["2,4:7,*", [[2, 2], [4, 7], [INF, INF]]],
    ["4294967295", [[4294967295, 4294967295]]],
    ["007", [[7, 7]]],
    ["1,1", [[1, 1], [1, 1]]],
  ];
  for (const [text, ranges] of valid) test(text, () => expect(parseSequenceSet(text)).toEqual({ kind: "set", ranges } as never));
  test("$ is the saved result (RFC 5182)", () => expect(parseSequenceSet("$")).toEqual({ kind: "saved" }));
  for (const text of ["", "0", "0:5", "1:", ":1", "1,", ",1", "1,,2", "a", "-1", "4294967296", "$,1", "1:$", "**", "1:2:3", " 1", "1 ", "1.5", "+1", "99999999999"]) {
    test(`invalid ${JSON.stringify(text)}`, () => expect(parseSequenceSet(text)).toBeNull());
  }
  test("options refuse * and $ (QRESYNC known-uids)", () => {
    expect(parseSequenceSet("1:*", { allowStar: false })).toBeNull();
    expect(parseSequenceSet("*", { allowStar: false })).toBeNull();
    expect(parseSequenceSet("1:5", { allowStar: false })).toEqual({ kind: "set", ranges: [[1, 5]] });
    expect(parseSequenceSet("$", { allowSaved: false })).toBeNull();
  });
});

describe("resolution against max", () => {
  const cases: [string, number, number[]][] = [
    ["1:*", 5, [1, 2, 3, 4, 5]],
    ["*", 5, [5]],
    ["*:3", 5, [3, 4, 5]],
    ["5:*", 3, [3]],
    ["1:*", 0, []],
    ["*", 0, []],
    ["2,4:7,*", 10, [2, 4, 5, 6, 7, 10]],
    ["9,1:3,2:5", 10, [1, 2, 3, 4, 5, 9]],
    ["6:10", 5, []],
    ["4:10", 5, [4, 5]],
    ["1:4294967295", 3, [1, 2, 3]],
  ];
  for (const [text, max, expected] of cases) {
    test(`${text} with max ${max}`, () => {
      const s = numbers(text);
      expect(expandSet(s, max)).toEqual(expected);
      for (let n = 0; n <= max + 2; n++) expect(setContains(s, n, max)).toBe(expected.includes(n));
    });
  }
  test("resolveRanges merges overlapping and adjacent ranges", () => {
    expect(resolveRanges(numbers("1:3,4:5,8,7,10:12,11"), 100)).toEqual([[1, 5], [7, 8], [10, 12]]);
    expect(resolveRanges(numbers("3:*"), 1)).toEqual([[1, 1]]);
  });
  test("setContains with a huge range is O(ranges)", () => {
    expect(setContains(numbers("1:4294967295"), 4000000000, 4294967295)).toBe(true);
  });
  test("highestNumber ignores *", () => {
    expect(highestNumber(numbers("1:*,7,3:5"))).toBe(7);
    expect(highestNumber(numbers("*"))).toBe(0);
  });
});

describe("formatSequenceSet", () => {
  const cases: [number[], string][] = [
    [[], ""],
    [[5], "5"],
    [[1, 2, 3], "1:3"],
    [[1, 2, 3, 5, 7, 8], "1:3,5,7:8"],
    [[9, 3, 1, 2, 2, 10, 3], "1:3,9:10"],
    [[4294967294, 4294967295], "4294967294:4294967295"],
  ];
  for (const [input, expected] of cases) test(JSON.stringify(input), () => expect(formatSequenceSet(input)).toBe(expected));
  test("round trip through parse and expand", () => {
    const input = [1, 2, 3, 10, 11, 20, 40, 41, 42, 43];
    expect(expandSet(numbers(formatSequenceSet(input)), 100)).toEqual(input);
    expect(formatSequenceSet(new Set([3, 1, 2]))).toBe("1:3");
  });
});
