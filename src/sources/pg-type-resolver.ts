/**
 * Resolves PostgreSQL type OIDs to the value types pg-types.ts converts:
 * built-in OIDs directly, others (enums, domains, extension types and arrays
 * of them) through pg_type, asked once per unknown OID and remembered.
 * Used for query results (postgres.ts) and for logical decoding's Relation
 * messages, which name their columns' types by OID too.
 */
import { builtinPgType, type PgValueType } from "./pg-types";

/** Rows of `PG_TYPE_CATALOG_SQL` as text: oid, typcategory, typelem, typbasetype. */
export type PgTypeCatalogRow = [oid: string, category: string, element: string, base: string];

/** Looks the OIDs up in pg_type; `$1` is an `oid[]` literal such as `{16384,16390}`. */
export const PG_TYPE_CATALOG_SQL =
  "SELECT oid::int8, typcategory, typelem::int8, typbasetype::int8 FROM pg_type WHERE oid = ANY($1::oid[])";

export class PgTypeResolver {
  private readonly catalog = new Map<number, { category: string; element: number; base: number }>();
  private readonly types = new Map<number, PgValueType>();

  /** `lookup` runs PG_TYPE_CATALOG_SQL with the given `oid[]` literal. */
  constructor(private readonly lookup: (oidArray: string) => Promise<readonly PgTypeCatalogRow[]>) {}

  /** Resolves each OID to a value type, asking pg_type once per unknown OID. */
  async valueTypes(oids: readonly number[]): Promise<PgValueType[]> {
    for (let round = 0; round < 4; round++) {
      const unknown = [...new Set(oids.flatMap((oid) => this.missingOids(oid)))];
      if (unknown.length === 0) break;
      for (const [oid, category, element, base] of await this.lookup(`{${unknown.join(",")}}`)) {
        this.catalog.set(Number(oid), { category, element: Number(element), base: Number(base) });
      }
      // OIDs the catalog does not know (dropped types) are plain text.
      for (const oid of unknown)
        if (!this.catalog.has(oid)) this.catalog.set(oid, { category: "X", element: 0, base: 0 });
    }
    return oids.map((oid) => this.resolve(oid));
  }

  /** OIDs still needed from pg_type before `oid` can be resolved. */
  private missingOids(oid: number): number[] {
    if (builtinPgType(oid) !== undefined || this.types.has(oid)) return [];
    const entry = this.catalog.get(oid);
    if (!entry) return [oid];
    if (entry.base !== 0) return this.missingOids(entry.base);
    if (entry.category === "A" && entry.element !== 0) return this.missingOids(entry.element);
    return [];
  }

  private resolve(oid: number): PgValueType {
    const known = builtinPgType(oid) ?? this.types.get(oid);
    if (known !== undefined) return known;
    const entry = this.catalog.get(oid);
    let type: PgValueType = oid;
    if (entry && entry.base !== 0) type = this.resolve(entry.base);
    else if (entry && entry.category === "A" && entry.element !== 0) type = { arrayOf: this.resolve(entry.element) };
    this.types.set(oid, type);
    return type;
  }
}
