/**
 * Where a change capture job's copy of the table goes. The first copy goes
 * straight into the (empty) replica. A copy made again (slot lost, reset) into
 * a replica that holds rows goes into a shadow table, swapped in whole when
 * complete: readers keep the old rows until then, and rows deleted at the
 * source while the slot was gone do not survive the swap.
 */
import type { ReplicationHost } from "../engine/host";
import type { Job } from "../engine/model";
import type { JobStore } from "../engine/store";
import { ownObjects, withOwnObjectsSetAside } from "../replica/own-objects";
import {
  dropReplica,
  forgetRowCount,
  quoteSqlite,
  readTableColumns,
  truncateReplica,
  writeToReplica,
} from "../replica/table";
import type { CdcState, CdcStore } from "./store";

/** The shadow table of a job's copy (internal: `tmp_` tables are invisible to clients). */
export function shadowTable(job: string): string {
  return `tmp_replication_copy_${job}`;
}

/** Starts the copy again; `newSlot` forgets applied positions, which belonged to the old slot. */
export function restartSnapshot(
  host: Pick<ReplicationHost, "sql" | "transaction">,
  states: CdcStore,
  store: JobStore,
  job: Job,
  options: { truncate: boolean; newSlot: boolean },
): CdcState {
  const name = job.settings.name;
  const target = job.settings.target_table;
  host.transaction(() => {
    dropReplica(host.sql, shadowTable(name));
    if (options.truncate) truncateReplica(host.sql, target);
    const holdsRows =
      readTableColumns(host.sql, target).length > 0 &&
      host.sql.exec(`SELECT 1 FROM ${quoteSqlite(target)} LIMIT 1`).toArray().length > 0;
    states.update(name, {
      phase: "snapshot",
      snapshot_table: holdsRows ? shadowTable(name) : null,
      snapshot_end_lsn: null,
      partial_lsn: null,
      partial_changes: 0,
      ...(options.newSlot ? { applied_lsn: null } : {}),
    });
    store.saveCursor(name, null, 0);
  });
  return states.require(name);
}

/** Replaces the replica by the completed copy, inside the caller's transaction. */
export function swapInSnapshot(sql: SqlStorage, shadow: string, target: string): void {
  forgetRowCount(sql, target);
  writeToReplica(target, () => {
    // The replica's own indexes, views and triggers (an admin's) are made again over the new copy.
    withOwnObjectsSetAside(sql, ownObjects(sql, target), () => {
      sql.exec(`DROP TABLE IF EXISTS ${quoteSqlite(target)}`);
      sql.exec(`ALTER TABLE ${quoteSqlite(shadow)} RENAME TO ${quoteSqlite(target)}`);
    });
  });
}
