/**
 * Rewrites `?` placeholders to PostgreSQL's `$1, $2, ...`.
 *
 * A `?` is a placeholder only in plain SQL text: never inside a string
 * ('...' with '' escapes, E'...' with backslash escapes), a quoted identifier
 * ("..."), a dollar-quoted body ($tag$...$tag$) or a comment (-- and nested
 * block comments). `::` casts and existing `$n` are left alone. PostgreSQL's
 * jsonb `?`, `?|`, `?&` operators cannot be told apart from placeholders:
 * write them as `jsonb_exists`, `jsonb_exists_any`, `jsonb_exists_all`.
 */
export interface RewrittenSql {
  sql: string;
  /** How many `?` placeholders were found. */
  count: number;
}

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

export function rewritePlaceholders(sql: string, placeholder: (n: number) => string = (n) => `$${n}`): RewrittenSql {
  let out = "";
  let count = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    const prevIsIdent = i > 0 && IDENT_CHAR.test(sql[i - 1]!);
    let end: number;
    if (ch === "?") {
      count += 1;
      out += placeholder(count);
      i += 1;
      continue;
    } else if (ch === "'") {
      end = skipQuoted(sql, i, "'", false);
    } else if ((ch === "E" || ch === "e") && next === "'" && !prevIsIdent) {
      end = skipQuoted(sql, i + 1, "'", true);
    } else if (ch === '"') {
      end = skipQuoted(sql, i, '"', false);
    } else if (ch === "-" && next === "-") {
      const newline = sql.indexOf("\n", i);
      end = newline === -1 ? sql.length : newline;
    } else if (ch === "/" && next === "*") {
      end = skipBlockComment(sql, i);
    } else if (ch === "$" && !prevIsIdent) {
      end = skipDollarQuoted(sql, i);
    } else {
      end = i + 1;
    }
    out += sql.slice(i, end);
    i = end;
  }
  return { sql: out, count };
}

/** Index just past the closing quote; a doubled quote is an escaped quote. Unterminated: end of text. */
function skipQuoted(sql: string, open: number, quote: string, backslashEscapes: boolean): number {
  let i = open + 1;
  while (i < sql.length) {
    const ch = sql[i];
    if (backslashEscapes && ch === "\\") {
      i += 2;
    } else if (ch === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  return sql.length;
}

/** PostgreSQL block comments nest. */
function skipBlockComment(sql: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < sql.length) {
    if (sql[i] === "/" && sql[i + 1] === "*") {
      depth += 1;
      i += 2;
    } else if (sql[i] === "*" && sql[i + 1] === "/") {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  return sql.length;
}

/** `$tag$ ... $tag$`; a `$` that does not open a tag (e.g. `$1`) is plain text. */
function skipDollarQuoted(sql: string, open: number): number {
  const tag = DOLLAR_TAG.exec(sql.slice(open, open + 256));
  if (!tag) return open + 1;
  const close = sql.indexOf(tag[0], open + tag[0].length);
  return close === -1 ? sql.length : close + tag[0].length;
}
