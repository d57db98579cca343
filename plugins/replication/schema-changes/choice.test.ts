import { describe, expect, it } from "vitest";
import type { SourceColumn } from "../../../src/sources/types";
import { resolveColumnChoice } from "./choice";

const current: SourceColumn[] = ["id", "Note", "amount", "updated_at"].map((name) => ({
  name,
  sourceType: "text",
  sqliteType: "TEXT",
  nullable: true,
}));
const job = { tracking_col: "updated_at", primary_key: ["id"] };

describe("resolveColumnChoice", () => {
  it("answers the chosen columns as the source spells them", () => {
    expect(resolveColumnChoice(["id", "note", "updated_at"], current, job, "public.t")).toEqual([
      "id",
      "Note",
      "updated_at",
    ]);
  });

  it('passes "all" through', () => {
    expect(resolveColumnChoice("all", current, job, "public.t")).toBe("all");
  });

  it.each([
    [["id", "updated_at", "nope"], '"nope" is not a column of public.t'],
    [["id", "updated_at", "x", "y"], '"x", "y" are not columns of public.t'],
    [["id", "amount"], "missing: updated_at"],
    [["updated_at"], "missing: id"],
  ])("refuses %j: %s", (chosen, message) => {
    expect(() => resolveColumnChoice(chosen, current, job, "public.t")).toThrow(message);
  });
});
