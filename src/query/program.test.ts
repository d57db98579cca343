import { describe, expect, it } from "vitest";
import { type ExplainRow, programAccess, ROWS_OF_ITS_OWN } from "./program";

/** EXPLAIN rows from [opcode, p1, p2, p3], numbered from 0 (a new list restarts at 0, as a trigger's program does). */
function program(...lists: Array<Array<[string, number, number, number]>>): ExplainRow[] {
  return lists.flatMap((ops) =>
    ops.map(([opcode, p1, p2, p3], addr) => ({ addr, opcode, p1, p2, p3, p4: null, p5: 0 })),
  );
}

describe("programAccess: what would end the object's transaction", () => {
  it("sees a ROLLBACK conflict resolution, not a plain halt or an ABORT", () => {
    expect(programAccess(program([["Halt", 1555, 1, 0]])).rollsBack).toBe(true);
    expect(programAccess(program([["HaltIfNull", 1299, 1, 3]])).rollsBack).toBe(true);
    expect(
      programAccess(
        program([
          ["Halt", 1555, 2, 0],
          ["Halt", 0, 0, 0],
        ]),
      ).rollsBack,
    ).toBe(false);
  });

  it("sees deferred foreign key counting, not immediate", () => {
    expect(programAccess(program([["FkCounter", 1, 1, 0]])).defersForeignKeys).toBe(true);
    expect(programAccess(program([["FkCounter", 0, 1, 0]])).defersForeignKeys).toBe(false);
  });

  it("finds the AUTOINCREMENT table a NewRowid gives ids to, and ids the statement gives", () => {
    const auto = programAccess(
      program([
        ["OpenWrite", 0, 7, 0],
        ["NewRowid", 0, 5, 2],
        ["MemMax", 2, 5, 0],
      ]),
    );
    expect([...auto.autoincrementIds]).toEqual([7]);
    expect(auto.givenIds).toBe(false);
    const given = programAccess(
      program([
        ["OpenWrite", 0, 7, 0],
        ["NotNull", 5, 3, 0],
        ["NewRowid", 0, 5, 2],
        ["MustBeInt", 5, 0, 0],
      ]),
    );
    expect(given.givenIds).toBe(true);
    // An ordinary rowid table's NewRowid has no counter register.
    expect(
      programAccess(
        program([
          ["OpenWrite", 0, 7, 0],
          ["NewRowid", 0, 5, 0],
        ]),
      ).autoincrementIds.size,
    ).toBe(0);
  });

  it("reads a trigger's program with its own cursors and registers", () => {
    const access = programAccess(
      program(
        [
          ["OpenWrite", 0, 7, 0],
          ["Program", 0, 0, 0],
        ],
        [
          ["OpenWrite", 0, 9, 0],
          ["NewRowid", 0, 4, 1],
          ["MustBeInt", 3, 0, 0],
        ],
      ),
    );
    expect([...access.autoincrementIds]).toEqual([9]);
    // Register 3 of the trigger is not the one its NewRowid filled.
    expect(access.givenIds).toBe(false);
  });

  it("says what the program steps through: tables by root page, rows of its own", () => {
    const access = programAccess(
      program([
        ["OpenRead", 1, 3, 0],
        ["Next", 1, 0, 0],
        ["Yield", 4, 0, 0],
      ]),
    );
    expect([...access.loopsOver].sort()).toEqual([ROWS_OF_ITS_OWN, 3].sort());
  });
});
