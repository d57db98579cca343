/**
 * A row's hash is defined over `col::text` (replica/row-hash.ts), which the server computes when
 * rows are copied and verified. pgoutput sends each value as its type's output function prints
 * it, and for a few types the cast to text prints otherwise (pg_cast's casts to text that are not
 * I/O conversions): boolean (`t` against `true`), character (padded against trimmed) and inet (a
 * host's mask left out against always shown). Change capture turns such a sent text into the
 * cast's before hashing; for other types, arrays of these included, the two agree. Pure.
 */
import type { PgValueType } from "../../../src/sources/pg-types";

const BOOL = 16;
const BPCHAR = 1042;
const INET = 869;

/** What `col::text` prints for a value of `type` that pgoutput sent as `sent`; null when the two agree. */
export function castTextOf(type: PgValueType): ((sent: string) => string) | null {
  switch (type) {
    case BOOL:
      return (sent) => (sent === "t" ? "true" : sent === "f" ? "false" : sent);
    case BPCHAR:
      return (sent) => sent.replace(/ +$/, "");
    case INET:
      return (sent) => (sent.includes("/") ? sent : `${sent}/${sent.includes(":") ? 128 : 32}`);
    default:
      return null;
  }
}
