/**
 * PostgreSQL's `hashtext` in JavaScript: Bob Jenkins' lookup3 hash of a text's UTF-8 bytes, as
 * PostgreSQL's hash_bytes computes it on a little-endian machine (the last bytes that go to `c`
 * are shifted up by one byte, unlike lookup3's own `hashlittle`). Change capture computes a
 * PostgreSQL job's row hash with it (row-hash.ts); pg-hashtext.test.ts checks it against the
 * server's `hashtext` on texts of every length around the 12-byte blocks and in every script.
 *
 * PostgreSQL keeps this function stable across versions: hash indexes on text store its values,
 * and pg_upgrade keeps them as they are. It is about 7 times cheaper for the server than md5()
 * (OpenSSL). A big-endian server computes other values; a job's creation checks (row-hash-choice.ts).
 */
/** `hashtext(text COLLATE "C")` of the server for the text whose UTF-8 bytes are `k[0, length)`, as an unsigned 32-bit integer. */
export function pgHashText(k: Uint8Array, length: number): number {
  let a = (0x9e3779b9 + length + 3923095) | 0;
  let b = a;
  let c = a;
  let i = 0;
  let left = length;
  for (; left >= 12; i += 12, left -= 12) {
    a = (a + word(k, i)) | 0;
    b = (b + word(k, i + 4)) | 0;
    c = (c + word(k, i + 8)) | 0;
    // mix(a, b, c)
    a = (a - c) | 0;
    a ^= rotate(c, 4);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rotate(a, 6);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rotate(b, 8);
    b = (b + a) | 0;
    a = (a - c) | 0;
    a ^= rotate(c, 16);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rotate(a, 19);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rotate(b, 4);
    b = (b + a) | 0;
  }
  // The last 0-11 bytes; the lowest byte of `c` is left for nothing (PostgreSQL's variant).
  if (left > 8) c = (c + (tail(k, i + 8, left - 8) << 8)) | 0;
  if (left > 4) b = (b + tail(k, i + 4, Math.min(4, left - 4))) | 0;
  if (left > 0) a = (a + tail(k, i, Math.min(4, left))) | 0;
  // final(a, b, c)
  c ^= b;
  c = (c - rotate(b, 14)) | 0;
  a ^= c;
  a = (a - rotate(c, 11)) | 0;
  b ^= a;
  b = (b - rotate(a, 25)) | 0;
  c ^= b;
  c = (c - rotate(b, 16)) | 0;
  a ^= c;
  a = (a - rotate(c, 4)) | 0;
  b ^= a;
  b = (b - rotate(a, 14)) | 0;
  c ^= b;
  c = (c - rotate(b, 24)) | 0;
  return c >>> 0;
}

function rotate(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Four bytes from `at`, little-endian. */
function word(k: Uint8Array, at: number): number {
  return k[at]! | (k[at + 1]! << 8) | (k[at + 2]! << 16) | (k[at + 3]! << 24);
}

/** `count` (1-4) bytes from `at`, little-endian. */
function tail(k: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let j = count - 1; j >= 0; j--) value = (value << 8) | k[at + j]!;
  return value;
}
