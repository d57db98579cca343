/**
 * Verification as the engine offers it: `POST /replication/jobs/:name/verify`
 * (optionally repairing) and the `reconcile` task of jobs with a reconcile_cron.
 * Either one is the job's one run in progress (409 for a verify meanwhile).
 */
import { AppError, clipMessage, ConflictError, NotFoundError } from "../../../src/errors";
import { redact } from "../../../src/redact";
import { dialectOf, withOpenedSource } from "../../../src/sources";
import type { SourceColumn, SourceConnection, SqlDialect } from "../../../src/sources/types";
import type { Credentials } from "../engine/credentials";
import type { ReplicationHost } from "../engine/host";
import type { Job } from "../engine/model";
import { type JobRunner, messageOf, type RunTuning } from "../engine/runs";
import { resolveSource, type ResolvedSource } from "../engine/source-config";
import type { JobStore } from "../engine/store";
import { reconcileTask } from "../engine/tasks";
import { liveRowSql, softDeleteOf } from "../pull/soft-delete";
import { ensureReplicaWithRowHash, hasRowHashColumn } from "../replica/hash-column";
import { readTableColumns } from "../replica/table";
import { type KeyCollation, keyCollationsQuery, verifyMethod } from "./key-order";
import { Tally } from "./plan";
import { RepairBudget, RepairBudgetSpent, replicaRepairs } from "./repair";
import { replicaSide, sourceSide } from "./sides";
import { type LastVerify, VerifyStore } from "./store";
import { DEFAULT_SHAPE, type VerifyResult, type VerifyShape } from "./types";
import { walkKeys, walkRanges, walkValues } from "./walk";

/** How long a reconciliation waits for a run of its job to end before it gives up on this tick. */
const RECONCILE_WAIT_MS = 30_000;

export class Verifier {
  /** Sizes of the walk; tests make them small to reach every branch with few rows. */
  readonly shape: VerifyShape = { ...DEFAULT_SHAPE };
  private readonly results: VerifyStore;

  constructor(
    private readonly host: ReplicationHost,
    private readonly store: JobStore,
    private readonly runner: JobRunner,
    private readonly credentials: Credentials,
    private readonly tuning: RunTuning,
  ) {
    this.results = new VerifyStore(host.sql);
  }

  /**
   * A verify asked for through the API: answers the result, 409 while a run of the job is in progress.
   * `values` compares every copied value of the rows on both sides, not only their stored hashes.
   */
  verify(name: string, repair: boolean, values = false): Promise<VerifyResult> {
    return this.runner.exclusive(name, "verify", async () => {
      const started = Date.now();
      const result = await this.execute(name, { repair, values }, started);
      this.results.saveLast(name, result, Date.now());
      return result;
    });
  }

  last(name: string): LastVerify | null {
    return this.results.last(name);
  }

  /** A tick of the job's reconcile task: verify and repair, recorded as a run with trigger "reconcile". */
  async reconcile(name: string): Promise<void> {
    const task = reconcileTask(name);
    const job = this.store.exists(name) ? this.store.get(name) : undefined;
    if (!job?.settings.reconcile_cron) return this.host.scheduler.unschedule(task);
    if (!job.settings.active) return;
    await this.waitForRunToEnd(name);
    await this.runner.exclusive(name, "reconcile", async () => {
      const started = Date.now();
      const runId = this.store.startRun(name, "reconcile", started);
      const written = { rows: 0, pages: 0 };
      try {
        const result = await this.execute(name, { repair: true, values: false }, started, written);
        const ended = Date.now();
        this.store.updateRun(runId, { ...written, done: result.done, ended_at: ended });
        this.results.saveRunCounts(runId, result);
        this.results.saveLast(name, result, ended);
        // Stopped at the run limits: the next pass goes on (ranges already repaired now match, and are skipped).
        if (!result.done) this.host.scheduler.runSoon(task);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.store.updateRun(runId, { ...written, done: false, error: message, ended_at: Date.now() });
        throw error;
      }
    });
  }

  private async waitForRunToEnd(name: string): Promise<void> {
    const deadline = Date.now() + RECONCILE_WAIT_MS;
    while (this.runner.isRunning(name)) {
      if (Date.now() > deadline) {
        throw new Error(`a run of job ${name} lasted over ${RECONCILE_WAIT_MS / 1000} s: reconciliation skipped`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Compares (and repairs) the whole table; `written` counts the rows and pages a repair wrote, even on failure. */
  private async execute(
    name: string,
    { repair, values }: { repair: boolean; values: boolean },
    started: number,
    written = { rows: 0, pages: 0 },
  ): Promise<VerifyResult> {
    let resolved: ResolvedSource | undefined;
    try {
      const job = this.store.get(name);
      if (!job) throw new NotFoundError(`no replication job named ${name}`);
      const table = job.settings.target_table;
      if (!repair && readTableColumns(this.host.sql, table).length === 0) {
        throw new ConflictError(
          `job ${name} has not created its replica table ${table} yet: run the job first, or verify with repair=true`,
        );
      }
      const source = job.sealedSource ? await this.credentials.unseal(job.sealedSource) : job.settings.source;
      resolved = resolveSource(source, this.host.binding);
      return await withOpenedSource(
        this.host.open,
        resolved.config,
        (connection) => this.compare(connection, job, { repair, values }, started, written),
        this.tuning.sourceOptions,
      );
    } catch (error) {
      const message = clipMessage(redact(messageOf(error), resolved?.secrets ?? []));
      if (!(error instanceof AppError)) console.error(`replication job ${name}: verify failed: ${message}`);
      throw new AppError(error instanceof AppError ? error.kind : "internal", message);
    }
  }

  private async compare(
    connection: SourceConnection,
    job: Job,
    { repair, values }: { repair: boolean; values: boolean },
    started: number,
    written: { rows: number; pages: number },
  ): Promise<VerifyResult> {
    const { settings, columns } = job;
    const dialect = dialectOf(settings.source.dialect);
    const schema = "schema" in settings.source ? settings.source.schema : undefined;
    // Only once the source answered: a source that is down leaves the replica untouched.
    if (repair) ensureReplicaWithRowHash(this.host.sql, job);
    const key = settings.primary_key.map((k) => columns.find((c) => c.name === k)!);
    // Comparing values reads every source row, key by key: that needs no key order shared by both sides.
    const method = values
      ? "keys"
      : verifyMethod(dialect.name, key, await readCollations(connection, dialect, schema, settings.table_name, key));
    const softDelete = softDeleteOf(settings);
    const source = sourceSide(connection, {
      dialect,
      schema,
      table: settings.table_name,
      columns,
      key,
      live: softDelete ? liveRowSql(dialect, softDelete) : null,
      rowHash: job.rowHash,
    });
    const replicaTable = {
      table: settings.target_table,
      columns,
      key,
      hasHash: hasRowHashColumn(this.host.sql, settings.target_table),
    };
    const budget = new RepairBudget(this.tuning.bounds, started);
    const tally = new Tally();
    const walk = {
      source,
      replica: replicaSide(this.host.sql, replicaTable),
      repairs: repair
        ? replicaRepairs({
            host: this.host,
            table: replicaTable,
            source,
            budget,
            job: settings.name,
            batchSize: settings.batch_size,
            pageBytes: this.tuning.bounds.pageBytes,
            firstPageRows: this.tuning.bounds.firstPageRows,
          })
        : null,
      tally,
      shape: this.shape,
      keyIndexes: key.map((k) => columns.indexOf(k)),
      width: columns.length,
    };
    let done = true;
    try {
      await (values ? walkValues(walk) : method === "key ranges" ? walkRanges(walk) : walkKeys(walk));
    } catch (error) {
      if (!(error instanceof RepairBudgetSpent)) throw error;
      done = false;
    } finally {
      written.rows = budget.rows;
      written.pages = budget.pages;
    }
    return {
      ...tally.counts,
      repaired: repair,
      done,
      method,
      compared: values ? "values" : "hashes",
      duration_ms: Date.now() - started,
      examples: tally.examples,
    };
  }
}

async function readCollations(
  connection: SourceConnection,
  dialect: SqlDialect,
  schema: string | undefined,
  table: string,
  key: readonly SourceColumn[],
): Promise<KeyCollation[]> {
  const query = keyCollationsQuery(
    dialect.name,
    schema,
    table,
    key.map((c) => c.name),
  );
  const { rows } = await connection.query(query.sql, query.params);
  return rows.map(([column, provider, name]) => ({
    column: String(column),
    provider: provider === null ? null : String(provider),
    name: name === null ? null : String(name),
  }));
}
