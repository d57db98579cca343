import type { Migration } from "./plugin";

/** Every table the project keeps for itself starts with this prefix; clients cannot touch them. */
export const INTERNAL_PREFIX = "tmp_";

const LEDGER = `${INTERNAL_PREFIX}migrations`;

/**
 * Applies the migrations not yet recorded, in order, in one transaction, and
 * records them. Runs once when the Durable Object starts.
 */
export function applyMigrations(storage: DurableObjectStorage, migrations: readonly Migration[]): string[] {
  const sql = storage.sql;
  return storage.transactionSync(() => {
    sql.exec(`CREATE TABLE IF NOT EXISTS ${LEDGER} (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`);
    const applied = new Set(
      sql
        .exec<{ id: string }>(`SELECT id FROM ${LEDGER}`)
        .toArray()
        .map((r) => r.id),
    );
    const pending = migrations.filter((m) => !applied.has(m.id));
    for (const migration of pending) {
      sql.exec(migration.sql);
      sql.exec(`INSERT INTO ${LEDGER} (id, applied_at) VALUES (?, ?)`, migration.id, Date.now());
    }
    return pending.map((m) => m.id);
  });
}
