/**
 * What a compiled statement touches, read from its `EXPLAIN` program: the
 * b-trees it opens for reading and writing (by root page, which
 * `sqlite_schema.rootpage` maps to tables), the virtual tables it opens, and
 * whether it changes the schema. This is SQLite's own view of the statement,
 * whatever spelling, view, CTE or subquery the text used.
 */

/** One row of `EXPLAIN <statement>`. */
export interface ExplainRow {
  addr: number;
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
  /**
   * True when a constraint or RAISE in the program may resolve with ROLLBACK, which ends the
   * transaction the Durable Object itself keeps open; workerd then restarts the object.
   */
  rollsBack: boolean;
  /** True when the program counts deferred foreign key violations, checked only when the object commits. */
  defersForeignKeys: boolean;
  /** Root pages of the tables the program gives AUTOINCREMENT ids (a NewRowid with its counter register). */
  autoincrementIds: Set<number>;
  /** True when such an insert may also take ids given by the statement (INSERT ... (id, ...)). */
  givenIds: boolean;
  /**
   * What the program steps through row by row: root pages of main-database b-trees, and
   * ROWS_OF_ITS_OWN for rows it makes (several VALUES rows, a subquery, a temporary table).
   */
  loopsOver: Set<number>;
}

const MAIN = 0;
const TEMP = 1;

/** OE_Rollback: the conflict resolution of a Halt (p2) that rolls the whole transaction back. */
const ON_ERROR_ROLLBACK = 1;

/** loopsOver's mark for rows a program makes itself rather than reads from a table. */
export const ROWS_OF_ITS_OWN = -1;

const STEP_OPCODES = new Set(["Next", "Prev", "SorterNext", "VNext"]);

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
    rollsBack: false,
    defersForeignKeys: false,
    autoincrementIds: new Set(),
    givenIds: false,
    loopsOver: new Set(),
  };
  // EXPLAIN lists each trigger's program after the statement's, numbered from 0 again,
  // with cursors and registers of its own.
  let lastAddr = -1;
  let rootOfCursor = new Map<number, number>();
  let autoincrementRowids = new Set<number>();
  /** True (and the program's access to main unchanged) when `db` is not the main database. */
  const elsewhere = (db: number) => {
    if (db === MAIN) return false;
    if (db === TEMP) access.tempDatabase = true;
    else access.otherDatabase = true;
    return true;
  };
  for (const row of rows) {
    if (row.addr <= lastAddr) {
      rootOfCursor = new Map();
      autoincrementRowids = new Set();
    }
    lastAddr = row.addr;
    if (row.opcode === "Yield") access.loopsOver.add(ROWS_OF_ITS_OWN);
    if (STEP_OPCODES.has(row.opcode)) access.loopsOver.add(rootOfCursor.get(row.p1) ?? ROWS_OF_ITS_OWN);
    switch (row.opcode) {
      case "OpenRead":
      case "ReopenIdx":
      case "OpenWrite": {
        if (elsewhere(row.p3)) break;
        if (row.p5 & P2_IS_REGISTER) {
          access.opensNewTree = true;
          break;
        }
        rootOfCursor.set(row.p1, row.p2);
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
      case "Halt":
      case "HaltIfNull":
        if (row.p1 !== 0 && row.p2 === ON_ERROR_ROLLBACK) access.rollsBack = true;
        break;
      case "FkCounter":
        if (row.p1 !== 0) access.defersForeignKeys = true;
        break;
      case "NewRowid": {
        // p3: the register holding the AUTOINCREMENT counter (0 for an ordinary rowid table).
        const root = rootOfCursor.get(row.p1);
        if (row.p3 !== 0 && root !== undefined) {
          access.autoincrementIds.add(root);
          autoincrementRowids.add(row.p2);
        }
        break;
      }
      case "MustBeInt":
        // An id given by the statement: checked to be an integer, and used when not NULL.
        if (autoincrementRowids.has(row.p1)) access.givenIds = true;
        break;
      default:
        if (SCHEMA_OPCODES.has(row.opcode)) access.changesSchema = true;
        else if (UNUSUAL_OPCODES.has(row.opcode)) access.unusual.push(row.opcode);
    }
  }
  return access;
}
