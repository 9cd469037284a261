// Byte-array helpers shared by the protocol encoders, the connections and the delivery code.

/** One new buffer holding `chunks` in order; `total`, when the caller knows it, is their summed length. */
export function concatBytes(chunks: readonly Uint8Array[], total = -1): Uint8Array {
  let n = total;
  if (n < 0) {
    n = 0;
    for (const c of chunks) n += c.length;
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
