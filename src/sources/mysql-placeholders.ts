/**
 * Binds `?` placeholders into MySQL/MariaDB SQL text as escaped literals, so
 * every statement can use the text protocol (about 1.4x faster to read than
 * prepared statements in workerd; see the commit introducing this file).
 *
 * A `?` is a placeholder only in plain SQL text: never inside a string
 * ('...' or "..." with backslash or doubled-quote escapes), a quoted identifier
 * (`...`), or a comment (`-- `, `#`, `/* ... *\/`). Literals are escaped with
 * backslashes, so the session must not use NO_BACKSLASH_ESCAPES (the connector
 * clears it); the connection charset is utf8mb4, which has no escape-swallowing
 * multibyte sequences.
 */
import { ValidationError } from "../errors";
import type { SourceParam } from "./types";

export function bindMysqlParams(sql: string, params: readonly SourceParam[]): string {
  let out = "";
  let used = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const end = skipNonCode(sql, i);
    if (end > i) {
      out += sql.slice(i, end);
      i = end;
    } else if (ch === "?") {
      if (used >= params.length) throw mismatch(sql, params.length);
      out += mysqlLiteral(params[used++]!);
      i++;
    } else {
      out += ch;
      i++;
    }
  }
  if (used !== params.length) throw mismatch(sql, params.length);
  return out;
}

/** The index after a string, quoted identifier or comment starting at `i`; `i` when none starts there. */
function skipNonCode(sql: string, i: number): number {
  const ch = sql[i]!;
  const next = sql[i + 1];
  if (ch === "'" || ch === '"' || ch === "`") return skipQuoted(sql, i, ch);
  if (ch === "#" || (ch === "-" && next === "-" && (i + 2 >= sql.length || /\s/.test(sql[i + 2]!)))) {
    const eol = sql.indexOf("\n", i);
    return eol === -1 ? sql.length : eol + 1;
  }
  if (ch === "/" && next === "*") {
    const close = sql.indexOf("*/", i + 2);
    return close === -1 ? sql.length : close + 2;
  }
  return i;
}

function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "\\" && quote !== "`") i += 2;
    else if (ch === quote && sql[i + 1] === quote) i += 2;
    else if (ch === quote) return i + 1;
    else i++;
  }
  return sql.length;
}

const ESCAPES: Record<string, string> = {
  "\0": "\\0",
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
  "\x1a": "\\Z",
  "'": "\\'",
  '"': '\\"',
  "\\": "\\\\",
};

/** A value as a MySQL literal: NULL, TRUE/FALSE, a number as JavaScript prints it (exact for doubles), or a quoted string. */
export function mysqlLiteral(value: SourceParam): string {
  if (value === null) return "NULL";
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ValidationError(`cannot bind ${value} to a MySQL statement`);
    return String(value);
  }
  return `'${value.replace(/[\0\b\t\n\r\x1a'"\\]/g, (c) => ESCAPES[c]!)}'`;
}

function mismatch(sql: string, given: number): ValidationError {
  return new ValidationError(`statement has ${countPlaceholders(sql)} placeholders but ${given} parameters were given`);
}

function countPlaceholders(sql: string): number {
  let count = 0;
  for (let i = 0; i < sql.length;) {
    const end = skipNonCode(sql, i);
    if (end > i) i = end;
    else {
      if (sql[i] === "?") count++;
      i++;
    }
  }
  return count;
}
