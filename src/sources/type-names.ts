/**
 * Catalog type names that may be written into SQL text. PostgreSQL cursors are
 * bound as `?::<type>` with the column's own type (see dialects.ts), so a type
 * name read back from storage is checked against this strict shape first:
 * words or double-quoted identifiers, an optional schema, one optional
 * `(precision[, scale])`, and array brackets. Anything else never reaches SQL.
 */
const WORD = String.raw`(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"\u0000]|"")+")`;
const PG_TYPE_NAME = new RegExp(
  String.raw`^${WORD}(?:\.${WORD})?(?: ${WORD})*(?:\(\d{1,5}(?:, ?\d{1,5})?\))?(?: ${WORD})*(?:\[\d{0,9}\])*$`,
);

export function isSafePgTypeName(name: string): boolean {
  return name.length <= 200 && PG_TYPE_NAME.test(name);
}
