// SASLprep (RFC 4013 §3 examples and the prohibited/bidi rules).
import { expect, test } from "bun:test";
import { saslprep } from "../../../src/protocol/sasl/saslprep.ts";

test.each([
  ["I\u00ADX", "IX"], // soft hyphen mapped to nothing
  ["user", "user"],
  ["USER", "USER"], // case preserved
  ["\u00AA", "a"], // NFKC
  ["\u2168", "IX"], // NFKC
  ["a\u00A0b", "a b"], // non-ASCII space → SPACE
  ["\u05D0\u05D1", "\u05D0\u05D1"], // all RandAL
])("RFC 4013 §3: %p → %p", (input, expected) => {
  expect(saslprep(input)).toBe(expected);
});

test.each([
  ["\u0007"], // C.2.1 control
  ["a\u0085b"], // C.2.2
  ["\uE000"], // C.3 private use
  ["\uFDD0"], // C.4 non-character
  ["\u200Eab"], // C.8
  ["\u0627\u0031"], // RandAL not last (RFC 4013 §3 example 7)
  ["\u05D0a\u05D1"], // RandAL mixed with L
])("prohibits %p", (input) => {
  expect(saslprep(input)).toBeNull();
});
