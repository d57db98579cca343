/**
 * What a compiled statement touches, read from its `EXPLAIN` program: the
 * b-trees it opens for reading and writing (by root page, which
 * `sqlite_schema.rootpage` maps to tables), the virtual tables it opens, and
 * whether it changes the schema. This is SQLite's own view of the statement,
 * whatever spelling, view, CTE or subquery the text used.
 */

/** One row of `EXPLAIN <statement>`. */
export interface ExplainRow {
  opcode: string;
  p1: number;
  p2: number;
  p3: number;
  p4: string | number | null;
  p5: number;
}

export interface ProgramAccess {
  /** Root pages of the main database opened for reading. */
  reads: Set<number>;
  /** Root pages opened for writing, cleared (DELETE without WHERE) or destroyed (DROP). */
  writes: Set<number>;
  /** Virtual tables opened (`vtab:<address>`, one address per live virtual table). */
  virtualTables: Set<string>;
  /** True when the program writes sqlite_schema (DDL). */
  changesSchema: boolean;
  /** A b-tree named by a register: one the statement itself creates (CREATE TABLE/INDEX). */
  opensNewTree: boolean;
  /** Opcodes a client statement never needs (database-wide operations); refused. */
  unusual: string[];
  /**
   * True when the program touches the temp database. It is empty (workerd refuses
   * temp objects) but ALTER TABLE ... RENAME and DROP look into it for temp triggers.
   */
  tempDatabase: boolean;
  /** True when a cursor opens an attached database. */
  otherDatabase: boolean;
}

const MAIN = 0;
const TEMP = 1;

/** The schema table's root page. */
export const SCHEMA_ROOT = 1;

/** OPFLAG_P2ISREG: p2 of OpenRead/OpenWrite is a register holding the root page, not the page itself. */
const P2_IS_REGISTER = 0x10;

const SCHEMA_OPCODES = new Set([
  "CreateBtree",
  "Destroy",
  "DropTable",
  "DropIndex",
  "DropTrigger",
  "ParseSchema",
  "RenameTable",
  "VCreate",
  "VDestroy",
]);

/** Database-wide operations: whole-file maintenance, nested SQL, integrity checks. */
const UNUSUAL_OPCODES = new Set([
  "SqlExec",
  "Vacuum",
  "IncrVacuum",
  "IntegrityCk",
  "JournalMode",
  "Checkpoint",
  "Pagecount",
  "MaxPgcnt",
  "LoadAnalysis",
  "ResetCount",
]);

export function programAccess(rows: readonly ExplainRow[]): ProgramAccess {
  const access: ProgramAccess = {
    reads: new Set(),
    writes: new Set(),
    virtualTables: new Set(),
    changesSchema: false,
    opensNewTree: false,
    unusual: [],
    tempDatabase: false,
    otherDatabase: false,
  };
  /** True (and the program's access to main unchanged) when `db` is not the main database. */
  const elsewhere = (db: number) => {
    if (db === MAIN) return false;
    if (db === TEMP) access.tempDatabase = true;
    else access.otherDatabase = true;
    return true;
  };
  for (const row of rows) {
    switch (row.opcode) {
      case "OpenRead":
      case "ReopenIdx":
      case "OpenWrite": {
        if (elsewhere(row.p3)) break;
        if (row.p5 & P2_IS_REGISTER) {
          access.opensNewTree = true;
          break;
        }
        if (row.opcode === "OpenWrite") {
          access.writes.add(row.p2);
          if (row.p2 === SCHEMA_ROOT) access.changesSchema = true;
        } else {
          access.reads.add(row.p2);
        }
        break;
      }
      case "Clear":
        if (!elsewhere(row.p2)) access.writes.add(row.p1);
        break;
      case "Destroy":
        if (!elsewhere(row.p3)) access.writes.add(row.p1);
        access.changesSchema = true;
        break;
      case "VOpen":
      case "VUpdate":
        access.virtualTables.add(String(row.p4));
        break;
      default:
        if (SCHEMA_OPCODES.has(row.opcode)) access.changesSchema = true;
        else if (UNUSUAL_OPCODES.has(row.opcode)) access.unusual.push(row.opcode);
    }
  }
  return access;
}
