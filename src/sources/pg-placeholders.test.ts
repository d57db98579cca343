import { describe, expect, it } from "vitest";
import { rewritePlaceholders } from "./pg-placeholders";

describe("rewritePlaceholders", () => {
  it.each([
    ["select ?", "select $1", 1],
    ["select ?, ?,?", "select $1, $2,$3", 3],
    ["select * from t where a = ? and b = ?", "select * from t where a = $1 and b = $2", 2],
    ["select '?'", "select '?'", 0],
    ["select 'it''s ?', ?", "select 'it''s ?', $1", 1],
    ["select E'\\'?', ?", "select E'\\'?', $1", 1],
    ["select e'a\\\\', ?", "select e'a\\\\', $1", 1],
    // Without E, a backslash is an ordinary character (standard_conforming_strings).
    ["select 'a\\', ?", "select 'a\\', $1", 1],
    ['select "we?ird""?" from t where x = ?', 'select "we?ird""?" from t where x = $1', 1],
    ["select $$ ? $$, ?", "select $$ ? $$, $1", 1],
    ["select $fn$ it's ? $$ $fn$, ?", "select $fn$ it's ? $$ $fn$, $1", 1],
    ["select 1 -- what?\n, ?", "select 1 -- what?\n, $1", 1],
    ["select 1 -- what?", "select 1 -- what?", 0],
    ["select /* a /* nested? */ still? */ ?", "select /* a /* nested? */ still? */ $1", 1],
    ["select ?::bigint, x::text", "select $1::bigint, x::text", 1],
    ["select $1, ?", "select $1, $1", 1],
    ["select a$b$ from t where c = ?", "select a$b$ from t where c = $1", 1],
    ["select some'x', ?", "select some'x', $1", 1],
    ["select 'unterminated ?", "select 'unterminated ?", 0],
    ["select $x$ unterminated ?", "select $x$ unterminated ?", 0],
    ["select '🙂?', ?", "select '🙂?', $1", 1],
    ["", "", 0],
  ])("%j", (input, sql, count) => {
    expect(rewritePlaceholders(input)).toEqual({ sql, count });
  });
});
