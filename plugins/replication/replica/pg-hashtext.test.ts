import { describe, expect, it } from "vitest";
import { withSource } from "../../../src/sources";
import { PG } from "../../../test/support/sources";
import { rowHash } from "./row-hash";

describe("pgHashText", () => {
  it("agrees with PostgreSQL's hashtext on texts of every length around its 12-byte blocks, in every script", async () => {
    const pieces = ["x", "é", "🙂", "語", "\u001f", "\u001e", "'", "\\"];
    const texts: string[] = [];
    for (let length = 0; length < 60; length++) {
      let text = "";
      for (let i = 0; i < length; i++) text += pieces[(i * 7 + length) % pieces.length];
      texts.push(text);
    }
    texts.push("row ".repeat(10_000), "2024-03-01 04:30:00.123456+00\u001f12.50\u001f\u001e");
    const hashes = await withSource({ dialect: "postgresql", ...PG }, (source) =>
      source.query(
        `SELECT hashtext(t COLLATE "C")::bigint & 4294967295 FROM json_array_elements_text(?::json) WITH ORDINALITY AS u(t, n) ORDER BY n`,
        [JSON.stringify(texts)],
      ),
    );
    // The hashtext row hash of a row of one text is hashtext of that text.
    expect(hashes.rows.map((row) => row[0])).toEqual(texts.map((text) => rowHash([text], "hashtext")));
  });
});
