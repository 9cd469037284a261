// Queue identifiers: 16 characters of RFC 4648 base32 (80 random bits), upper-case, so
// they are safe in Received headers, log lines and file names.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function newQueueId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}
