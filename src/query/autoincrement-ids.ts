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
    const [counter] = this.hasSequenceTable()
      ? this.sql
          .exec<{ near: number }>(
            `SELECT coalesce(max(seq) > ${MAX_CLIENT_AUTOINCREMENT_ID}, 0) AS near FROM ${SEQUENCE} WHERE name = ?`,
            table,
          )
          .toArray()
      : [];
    if (counter?.near || this.largestIdNearTheEnd(table)) {
      throw new ConflictError(
        `table ${table} has AUTOINCREMENT ids above ${MAX_CLIENT_AUTOINCREMENT_ID}, near the largest SQLite allows: ` +
          `inserting could run out of ids and restart the database; the admin role can lower them`,
      );
    }
  }

  /**
   * For a write that may raise AUTOINCREMENT ids, the AUTOINCREMENT tables it writes (whether or
   * not sqlite_sequence still counts them: the client may delete a counter). An empty list when it
   * writes sqlite_sequence alone (every counter is then checked); null for any other statement.
   */
  tablesToWatch(access: ProgramAccess, tableOfRoot: ReadonlyMap<number, string>): string[] | null {
    const written = new Set<string>();
    for (const root of access.writes) {
      const table = tableOfRoot.get(root);
      if (table !== undefined) written.add(table);
    }
    const tables = new Set([...access.autoincrementIds].map((root) => tableOfRoot.get(root)!));
    if (written.size > 0) {
      // Deciding only what to check, never what to allow: a table whose definition merely mentions
      // the word is checked for nothing, and an AUTOINCREMENT table's always does.
      const declared = this.sql.exec<{ name: string }>(
        `SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN (SELECT value FROM json_each(?))
           AND sql LIKE '%AUTOINCREMENT%'`,
        JSON.stringify([...written]),
      );
      for (const { name } of declared) tables.add(name);
    }
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
    for (const table of tables) {
      if (table !== SEQUENCE && this.largestIdNearTheEnd(table)) near.add(table);
    }
    return near;
  }

  /**
   * Whether the table's largest id is beyond the client's limit, read from its INTEGER PRIMARY KEY
   * (an AUTOINCREMENT table always has one): a column named rowid, oid or _rowid_ would hide the
   * row id behind that name. False for a table that does not exist (any more) or has no such key.
   */
  private largestIdNearTheEnd(table: string): boolean {
    const key = this.sql
      .exec<{ name: string }>(
        `SELECT name FROM pragma_table_info(?) WHERE pk = 1 AND upper(type) = 'INTEGER'
           AND (SELECT count(*) FROM pragma_table_info(?) WHERE pk > 0) = 1`,
        table,
        table,
      )
      .toArray()[0];
    if (!key) return false;
    const [row] = this.sql
      .exec<{ over: number }>(
        `SELECT coalesce(max(${quoteName(key.name)}) > ${MAX_CLIENT_AUTOINCREMENT_ID}, 0) AS over FROM ${quoteName(table)}`,
      )
      .toArray();
    return Boolean(row?.over);
  }

  private hasSequenceTable(): boolean {
    return (
      this.sql.exec(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '${SEQUENCE}'`).toArray().length > 0
    );
  }
}
