import { describe, expect, it } from "vitest";
import type { RelationMessage } from "./pgoutput";
import { schemaDiffers } from "./schema";

const relation = (...columns: Array<[string, number]>): RelationMessage => ({
  type: "relation",
  oid: 7,
  namespace: "public",
  name: "t",
  replicaIdentity: "d",
  columns: columns.map(([name, typeOid]) => ({ name, typeOid, typmod: -1, key: name === "id" })),
});
const known = [
  { name: "id", type_oid: 20 },
  { name: "v", type_oid: 25 },
];

describe("schemaDiffers", () => {
  it.each<[string, RelationMessage, boolean]>([
    ["the same columns", relation(["id", 20], ["v", 25]), false],
    ["an added column", relation(["id", 20], ["v", 25], ["w", 23]), true],
    ["a dropped column", relation(["id", 20]), true],
    ["a retyped column", relation(["id", 20], ["v", 3802]), true],
    ["a renamed column", relation(["id", 20], ["w", 25]), true],
  ])("%s: %s", (_label, message, differs) => {
    expect(schemaDiffers(known, message.columns)).toBe(differs);
  });

  it("counts a changed type modifier where the job knows it", () => {
    const withTypmod = [
      { name: "id", type_oid: 20, typmod: -1 },
      { name: "v", type_oid: 1700, typmod: -1 },
    ];
    const numeric = (typmod: number) => [
      { name: "id", typeOid: 20, typmod: -1 },
      { name: "v", typeOid: 1700, typmod },
    ];
    expect(schemaDiffers(withTypmod, numeric(-1))).toBe(false);
    // numeric(10,2)
    expect(schemaDiffers(withTypmod, numeric(655366))).toBe(true);
    // A job stored before type modifiers were kept notices it at its next other change.
    expect(
      schemaDiffers(
        [
          { name: "id", type_oid: 20 },
          { name: "v", type_oid: 1700 },
        ],
        numeric(655366),
      ),
    ).toBe(false);
  });
});
