import { INTERNAL_PREFIX } from "../migrations";

/**
 * True when the SQL names any identifier starting with the internal prefix,
 * bare or quoted ("x", `x`, [x]). String literals and comments are skipped, so
 * `SELECT 'tmp_x'` is allowed. Used to keep the client role away from internal tables.
 */
export function referencesInternalTable(sql: string, prefix = INTERNAL_PREFIX): boolean {
  const lowerPrefix = prefix.toLowerCase();
  for (const identifier of identifiersOf(sql)) {
    if (identifier.toLowerCase().startsWith(lowerPrefix)) return true;
  }
  return false;
}

/** Identifiers in SQL text, in order; literals and comments are skipped. */
export function* identifiersOf(sql: string): Generator<string> {
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'") {
      i = skipQuoted(sql, i, "'");
    } else if (ch === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end + 1;
    } else if (ch === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (ch === '"' || ch === "`" || ch === "[") {
      const close = ch === "[" ? "]" : ch;
      const end = skipQuoted(sql, i, close);
      yield sql
        .slice(i + 1, end - 1)
        .split(close + close)
        .join(close);
      i = end;
    } else if (/[A-Za-z_]/.test(ch)) {
      let end = i + 1;
      while (end < sql.length && /[A-Za-z0-9_$]/.test(sql[end]!)) end++;
      yield sql.slice(i, end);
      i = end;
    } else {
      i++;
    }
  }
}

/** Index just past the closing quote; a doubled quote is an escaped one. */
function skipQuoted(sql: string, start: number, close: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === close) {
      if (sql[i + 1] === close && close !== "]") {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}
