/**
 * Splitting a client's SQL text into single statements.
 *
 * `ctx.storage.sql.exec` runs every statement of a multi-statement text, so
 * `EXPLAIN` prefixed to such a text would explain only the first statement and
 * run the others. Client SQL is therefore split here, and each piece is
 * explained and then executed on its own. This reads no table names: the
 * authorization itself comes from the compiled program (see program.ts).
 *
 * The boundaries follow SQLite's tokenizer (tokenize.c): a `;` ends a statement
 * unless it is inside a `--` or `/* *\/` comment, a '...' string, a "...",
 * `...` or [...] identifier, or a parameter name (`$a(...)` may hold quotes and
 * comment marks, which then start nothing). Where this splits more eagerly than
 * SQLite would (a `;` inside a trigger body), a piece fails to compile and is
 * refused: splitting can only err on the safe side.
 */

export interface SplitStatement {
  /** The statement's text, exactly as given (leading comments included). */
  sql: string;
  /** Its first keyword, upper-cased (`SELECT`, `WITH`, `PRAGMA`...), or "" when it starts with something else. */
  keyword: string;
  /** Its leading bare words, up to three, upper-cased (`CREATE TEMP TRIGGER`). */
  lead: string[];
}

const LEAD_WORDS = 3;

/** Statements of `sql` in order; pieces holding only whitespace and comments are dropped. */
export function splitStatements(sql: string): SplitStatement[] {
  const statements: SplitStatement[] = [];
  let start = 0;
  let lead: string[] | undefined; // undefined until the statement's first token
  let leading = true; // still reading its leading bare words
  let i = 0;
  const token = (word?: string) => {
    lead ??= [];
    if (leading && word !== undefined && lead.length < LEAD_WORDS) lead.push(word.toUpperCase());
    else leading = false;
  };
  const end = () => {
    if (lead !== undefined) statements.push({ sql: sql.slice(start, i), keyword: lead[0] ?? "", lead });
    lead = undefined;
    leading = true;
  };
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === ";") {
      end();
      i++;
      start = i;
    } else if (ch === "-" && next === "-") {
      const newline = sql.indexOf("\n", i + 2);
      i = newline === -1 ? sql.length : newline + 1;
    } else if (ch === "/" && next === "*") {
      const close = sql.indexOf("*/", i + 2);
      i = close === -1 ? sql.length : close + 2;
    } else if (ch === "'" || ch === '"' || ch === "`") {
      token();
      i = skipQuoted(sql, i, ch);
    } else if (ch === "[") {
      token();
      const close = sql.indexOf("]", i + 1);
      i = close === -1 ? sql.length : close + 1;
    } else if (ch === "$" || ch === "@" || ch === ":" || ch === "#") {
      token();
      i = skipParameterName(sql, i);
    } else if (isWhitespace(ch)) {
      i++;
    } else if (isWordStart(ch)) {
      let stop = i + 1;
      while (stop < sql.length && isWordPart(sql[stop]!)) stop++;
      token(sql.slice(i, stop));
      i = stop;
    } else {
      token();
      i++;
    }
  }
  end();
  return statements;
}

/** Index just past a quoted run; a doubled quote is an escaped one. Unterminated: the end of the text. */
function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

/**
 * Index just past a named parameter (`:a`, `@a`, `$a::b`, `$a(x)`), as SQLite's tokenizer reads
 * one: name characters, `::` between them, and after a name a `(...)` suffix up to whitespace or `)`.
 */
function skipParameterName(sql: string, start: number): number {
  let i = start + 1;
  let named = false;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (isWordPart(ch)) {
      named = true;
      i++;
    } else if (ch === "(" && named) {
      i++;
      while (i < sql.length && !isWhitespace(sql[i]!) && sql[i] !== ")") i++;
      return sql[i] === ")" ? i + 1 : i;
    } else if (ch === ":" && sql[i + 1] === ":") {
      i += 2;
    } else {
      break;
    }
  }
  return i;
}

// SQLite's tokenizer whitespace is exactly these; a no-break space is not.
function isWhitespace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\n" || ch === "\r" || ch === "\f";
}

function isWordStart(ch: string): boolean {
  return /[A-Za-z_]/.test(ch) || ch.charCodeAt(0) >= 0x80;
}

function isWordPart(ch: string): boolean {
  return /[A-Za-z0-9_$]/.test(ch) || ch.charCodeAt(0) >= 0x80;
}
