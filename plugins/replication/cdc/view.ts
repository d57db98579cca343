/** What a change capture job shows in its status and warnings. Pure. */
import type { CdcSettings } from "../engine/settings";
import type { CdcState } from "./store";

export interface CdcStatusView {
  slot: string;
  publication: string;
  /** The slot's confirmed position as last read: everything before it is applied. */
  confirmed_lsn: string | null;
  /** WAL the source keeps for the slot (current WAL position minus the slot's restart_lsn), as last read. */
  retained_wal_bytes: number | null;
  wal_status: string | null;
}

export function cdcStatus(cdc: CdcSettings, state: CdcState | undefined): CdcStatusView {
  const health = state?.slot_health ?? null;
  return {
    slot: cdc.slot,
    publication: cdc.publication,
    confirmed_lsn: health?.confirmed_lsn ?? null,
    retained_wal_bytes: health?.retained_wal_bytes ?? null,
    wal_status: health?.wal_status ?? null,
  };
}

/** True while the job shows `"state": "snapshot"`: until replay passes the WAL position read after the copy. */
export function inSnapshot(state: CdcState | undefined): boolean {
  return state?.phase === "snapshot";
}

export function cdcWarnings(cdc: CdcSettings, state: CdcState | undefined, active: boolean): string[] {
  const health = state?.slot_health ?? null;
  const warnings: string[] = [];
  const retained = health?.retained_wal_bytes ?? null;
  if (!active) {
    warnings.push(
      `paused: replication slot ${cdc.slot} keeps the source's WAL from being removed while the job is paused` +
        (retained === null ? "" : ` (${formatBytes(retained)} now)`) +
        `, and disk use at the source grows; resume the job, or delete it to drop the slot`,
    );
  }
  if (retained !== null && retained > cdc.wal_warning_bytes) {
    warnings.push(
      `replication slot ${cdc.slot} retains ${formatBytes(retained)} of WAL at the source, ` +
        `over wal_warning_bytes (${formatBytes(cdc.wal_warning_bytes)}): the job is behind or not running`,
    );
  }
  if (health?.wal_status === "unreserved") {
    warnings.push(
      `replication slot ${cdc.slot} is about to lose WAL it needs (wal_status unreserved, max_slot_wal_keep_size): ` +
        `if it does, the table is copied again`,
    );
  }
  if (health?.wal_status === "lost" || health?.wal_status === "missing") {
    warnings.push(
      `replication slot ${cdc.slot} is ${health.wal_status === "lost" ? "invalidated" : "gone"}: ` +
        `the next run creates it again and copies the table again`,
    );
  }
  return warnings;
}

export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
