/** Helpers for change capture tests: jobs in mode cdc, and the source-side objects they own. */
import { runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { EdgeReplicationPart, JobView } from "../../plugins/replication";
import type { CdcTuning } from "../../plugins/replication/cdc/tuning";
import { api, uniqueName } from "../helpers";
import { databaseStub, SOURCES } from "./replication";
import { pgExec } from "./sources";

/** Every slot and publication a cdc test creates starts with this (jobs are named `cdct_...`). */
export const CDC_TEST_PREFIX = "starbase_cdct_";

export function cdcJobName(label: string): string {
  return uniqueName(`cdct_${label}`);
}

export function cdcBody(name: string, table: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    mode: "cdc",
    source: { ...SOURCES.postgresql },
    table_name: table,
    target_table: name,
    cron_tab: "0 0 1 1 *",
    active: false,
    ...over,
  };
}

export async function createCdcJob(name: string, table: string, over: Record<string, unknown> = {}): Promise<JobView> {
  const res = await api<JobView>("POST", "/replication/jobs", { body: cdcBody(name, table, over) });
  expect(res.body.error).toBeUndefined();
  expect(res.status).toBe(201);
  return res.body.result!;
}

export async function slotExists(slot: string): Promise<boolean> {
  return (await pgExec(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1`, [slot])).length > 0;
}

export async function publicationExists(publication: string): Promise<boolean> {
  return (await pgExec(`SELECT 1 FROM pg_publication WHERE pubname = $1`, [publication])).length > 0;
}

export async function slotConfirmedLsn(slot: string): Promise<string | null> {
  const rows = await pgExec(`SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [
    slot,
  ]);
  return (rows[0]?.lsn as string | undefined) ?? null;
}

/**
 * Drops every slot and publication left by cdc tests (a leftover slot pins WAL
 * on the shared server). Slots in use are left alone: a run may still hold one.
 */
export async function dropLeftoverCdcObjects(): Promise<void> {
  await pgExec(
    `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE $1 AND NOT active`,
    [`${CDC_TEST_PREFIX}%`],
  );
  const publications = await pgExec(`SELECT pubname FROM pg_publication WHERE pubname LIKE $1`, [
    `${CDC_TEST_PREFIX}%`,
  ]);
  for (const { pubname } of publications) await pgExec(`DROP PUBLICATION IF EXISTS "${String(pubname)}"`);
}

/** Changes the change capture tuning inside the Durable Object (the hook runs there too). */
export async function tuneCdc(change: (tuning: CdcTuning) => void): Promise<void> {
  await runInDurableObject(databaseStub(), (instance) =>
    change(instance.durablePart<EdgeReplicationPart>("replication").engine.tuning.cdc),
  );
}
