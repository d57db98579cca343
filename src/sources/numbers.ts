/** Exact integer and number helpers shared by the value mappers. Pure. */

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const SHORT_INTEGER = /^-?\d{1,15}$/;

/**
 * A decimal integer text -> a JS number when it is exactly representable
 * (|v| <= 2^53-1), else the same decimal text (SQLite INTEGER affinity stores
 * that text as an exact 64-bit integer; a JS number would round).
 */
export function exactInteger(text: string): number | string {
  // Up to 15 digits is always below 2^53: skip the BigInt round trip (most values).
  if (SHORT_INTEGER.test(text)) return Number(text) || 0;
  const value = BigInt(text);
  return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value.toString();
}

/** Big-endian unsigned bytes (MySQL BIT) -> exact integer: number when safe, else decimal text. */
export function unsignedFromBytes(bytes: Uint8Array): number | string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return exactInteger(value.toString());
}

/**
 * Shortest decimal that reads back as the same 32-bit float: what a FLOAT
 * column holds, without the noise digits of its widened double.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const single = Math.fround(value);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(single.toPrecision(digits));
    if (Math.fround(candidate) === single) return candidate;
  }
  return single;
}
