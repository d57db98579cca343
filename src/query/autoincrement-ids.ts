/**
 * Keeping AUTOINCREMENT tables away from the end of their ids, for the client role. An
 * AUTOINCREMENT insert past the largest id fails with SQLITE_FULL, which ends the transaction
 * workerd keeps open around the object's writes, and workerd then restarts the object.
 * The I/O half of the rule whose verdicts are policy.ts's (RULES.givenIds, RULES.idsRaised).
 */
import { ConflictError } from "../errors";
import { quoteName } from "./names";
import { MAX_CLIENT_AUTOINCREMENT_ID } from "./policy";
import type { ProgramAccess } from "./program";

const SEQUENCE = "sqlite_sequence";

export class AutoincrementIds {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * An AUTOINCREMENT insert fails with SQLITE_FULL once ids run out, and workerd then restarts
   * the object: refused while the table's counter or largest id is near the end. No single
   * statement can insert the 2^32 rows left, and client statements never raise ids past that point.
   */
  refuseRunningOut(table: string): void {
    const [row] = this.sql
      .exec<{ near: number }>(
        `SELECT max(coalesce((SELECT seq FROM ${SEQUENCE} WHERE name = ?), 0),
                    coalesce((SELECT max(rowid) FROM ${quoteName(table)}), 0)) > ${MAX_CLIENT_AUTOINCREMENT_ID} AS near`,
        table,
      )
      .toArray();
    if (row?.near) {
      throw new ConflictError(
        `table ${table} has AUTOINCREMENT ids above ${MAX_CLIENT_AUTOINCREMENT_ID}, near the largest SQLite allows: ` +
          `inserting could run out of ids and restart the database; the admin role can lower them`,
      );
    }
  }

  /**
   * For a write that may raise AUTOINCREMENT ids, the AUTOINCREMENT tables it writes: those
   * sqlite_sequence counts, and those it gives new ids. Null for any other statement.
   */
  tablesToWatch(access: ProgramAccess, tableOfRoot: ReadonlyMap<number, string>): string[] | null {
    const written = new Set<string>();
    for (const root of access.writes) {
      const table = tableOfRoot.get(root);
      if (table !== undefined) written.add(table);
    }
    const tables = new Set([...access.autoincrementIds].map((root) => tableOfRoot.get(root)!));
    if (written.size === 0 || !this.hasSequenceTable()) return tables.size ? [...tables] : null;
    const counted = this.sql.exec<{ name: string }>(
      `SELECT name FROM ${SEQUENCE} WHERE name IN (SELECT value FROM json_each(?))`,
      JSON.stringify([...written]),
    );
    for (const { name } of counted) tables.add(name);
    return tables.size || written.has(SEQUENCE) ? [...tables] : null;
  }

  /** The tables whose AUTOINCREMENT counter, or largest id among `tables`, is beyond the client's limit. */
  nearTheEnd(tables: readonly string[]): Set<string> {
    const near = new Set<string>();
    if (this.hasSequenceTable()) {
      for (const { name } of this.sql.exec<{ name: string }>(
        `SELECT name FROM ${SEQUENCE} WHERE seq > ${MAX_CLIENT_AUTOINCREMENT_ID}`,
      )) {
        near.add(name);
      }
    }
    for (const table of this.existing(tables)) {
      const [row] = this.sql
        .exec<{ over: number }>(
          `SELECT coalesce(max(rowid) > ${MAX_CLIENT_AUTOINCREMENT_ID}, 0) AS over FROM ${quoteName(table)}`,
        )
        .toArray();
      if (row?.over) near.add(table);
    }
    return near;
  }

  /** Those of `tables` that exist (a statement may have dropped or renamed one). */
  private existing(tables: readonly string[]): string[] {
    if (tables.length === 0) return [];
    return this.sql
      .exec<{ name: string }>(
        `SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN (SELECT value FROM json_each(?))`,
        JSON.stringify(tables),
      )
      .toArray()
      .map((row) => row.name);
  }

  private hasSequenceTable(): boolean {
    return (
      this.sql.exec(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '${SEQUENCE}'`).toArray().length > 0
    );
  }
}
