// Strict base64 and client-line decoding for SASL (RFC 4954 §4, RFC 4648).
import { describe, expect, test } from "bun:test";
import {
  decodeBase64Strict,
  decodeClientResponse,
  decodeInitialResponse,
  encodeBase64,
} from "../../../src/protocol/sasl/base64.ts";

const text = (b: Uint8Array | null | "*") => (b === null || b === "*" ? b : new TextDecoder().decode(b));

describe("decodeBase64Strict", () => {
  test.each([
    ["", ""],
    ["Zg==", "f"],
    ["Zm8=", "fo"],
    ["Zm9v", "foo"],
    ["AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "\0tim\0tanstaaftanstaaf"],
  ])("accepts %p", (input, expected) => {
    expect(text(decodeBase64Strict(input))).toBe(expected);
  });

  test.each([
    ["Zg"], // missing padding
    ["Zg="], // short padding
    ["Zm9v\r\n"], // line break
    ["Zm 9v"], // space
    ["Zm9v===="], // padding only group
    ["Z==="],
    ["Zh=="], // non-zero pad bits (non-canonical)
    ["Zm9=" ], // non-canonical
    ["Zm9v-_"], // base64url alphabet
    ["=Zm9"],
    ["*"],
  ])("rejects %p", (input) => {
    expect(decodeBase64Strict(input)).toBeNull();
  });

  test("round-trips every length up to 64", () => {
    for (let n = 0; n <= 64; n++) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
      expect(decodeBase64Strict(encodeBase64(bytes))).toEqual(bytes);
    }
  });
});

describe("client lines", () => {
  test("initial response '=' is empty, RFC 4954 §4", () => {
    expect(decodeInitialResponse("=")).toEqual(new Uint8Array(0));
    expect(text(decodeInitialResponse("dXNlcg=="))).toBe("user");
    expect(decodeInitialResponse("dXNlcg")).toBeNull();
  });
  test("'*' cancels, empty line is an empty response", () => {
    expect(decodeClientResponse("*")).toBe("*");
    expect(decodeClientResponse("")).toEqual(new Uint8Array(0));
    expect(decodeClientResponse("!!")).toBeNull();
  });
});
