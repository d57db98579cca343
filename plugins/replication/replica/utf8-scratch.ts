/**
 * The UTF-8 bytes of a row's joined texts in a buffer reused from call to call: the row hashes
 * (row-hash.ts: md5.ts, pg-hashtext.ts) encode a row for every change change capture writes, and
 * a new array per row would be most of their cost. The bytes are valid until the next call.
 */

const encoder = new TextEncoder();
const SMALL = 64 * 1024;
let buffer = new Uint8Array(1024);

/**
 * Texts longer than this are encoded natively: past a few hundred characters TextEncoder's copy
 * costs less than a loop over the characters, and a row near the 2 MB limit would take milliseconds.
 */
const LOOP_MAX = 256;

/** Two ASCII characters that join texts: one between texts, one in place of a null. */
export interface Utf8Join {
  separator: string;
  nullMark: string;
}

/**
 * Writes `texts` joined by `join.separator` (a null as `join.nullMark`) as UTF-8 at the start of
 * the scratch buffer, with at least `room` bytes free after it: the bytes of `texts.join(...)`
 * without the joined string, which for a wide row is one more string of its size per row.
 */
export function utf8ScratchJoined(
  texts: ReadonlyArray<string | null>,
  join: Utf8Join,
  room: number,
): { bytes: Uint8Array; length: number } {
  // At most 3 bytes per UTF-16 unit, and one per separator or null.
  let needed = room + texts.length;
  for (const text of texts) if (text !== null) needed += text.length * 3;
  reserve(needed);
  const separator = join.separator.charCodeAt(0);
  const nullMark = join.nullMark.charCodeAt(0);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    if (i > 0) buffer[at++] = separator;
    const text = texts[i]!;
    if (text === null) buffer[at++] = nullMark;
    else at = writeUtf8(text, at);
  }
  return { bytes: buffer, length: at };
}

/** A buffer of at least `needed` bytes; one grown for a wide row is given back at the next small text. */
function reserve(needed: number): void {
  if (buffer.length < needed) buffer = new Uint8Array(Math.max(needed, buffer.length * 2));
  else if (buffer.length > 16 * SMALL && needed <= SMALL) buffer = new Uint8Array(SMALL);
}

/** Writes `text` at `at` (the buffer has room for it); answers the offset after it. */
function writeUtf8(text: string, at: number): number {
  if (text.length > LOOP_MAX) return at + encoder.encodeInto(text, buffer.subarray(at)).written;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return at + encoder.encodeInto(text, buffer.subarray(at)).written;
    buffer[at + i] = code;
  }
  return at + text.length;
}
