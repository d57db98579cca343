/**
 * The UTF-8 bytes of a text in a buffer reused from call to call: the row hashes (md5.ts,
 * pg-hashtext.ts) encode a text for every row change capture writes, and a new array per row
 * would be most of their cost. The bytes are valid until the next call.
 */

const encoder = new TextEncoder();
let buffer = new Uint8Array(1024);

/** Writes `text` as UTF-8 at the start of the scratch buffer, with at least `room` bytes free after it. */
export function utf8Scratch(text: string, room: number): { bytes: Uint8Array; length: number } {
  // At most 3 bytes per UTF-16 unit.
  const needed = text.length * 3 + room;
  if (buffer.length < needed) buffer = new Uint8Array(Math.max(needed, buffer.length * 2));
  const bytes = buffer;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return { bytes, length: encoder.encodeInto(text, bytes).written };
    bytes[i] = code;
  }
  return { bytes, length: text.length };
}
