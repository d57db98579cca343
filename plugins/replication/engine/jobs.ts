/**
 * Job management: creating, changing, pausing, resetting and deleting jobs,
 * each checked against the source before anything is stored, and each keeping
 * the host's schedule in line with the job.
 */
import { ConflictError, NotFoundError, ValidationError } from "../../../src/errors";
import { redact } from "../../../src/redact";
import { withOpenedSource } from "../../../src/sources";
import type { SourceColumn, SourceConnection } from "../../../src/sources/types";
import { parseWith } from "../../../src/validation";
import { validateCronExpression } from "../../cron/expression";
import { type CreateJobBody, createJobBody, patchJobBody } from "../api/bodies";
import { type CdcLive, type JobView, jobView } from "../api/view";
import { type CdcCleanup, checkCdcSource, createCdcJobObjects, dropCdcJobObjects, planCdcJob } from "../cdc/setup";
import { restartSnapshot, shadowTable } from "../cdc/snapshot";
import { CdcStore } from "../cdc/store";
import { cdcStatus, cdcWarnings, inSnapshot } from "../cdc/view";
import { rowHashFormulaAfterReset } from "../replica/row-hash";
import { chooseRowHashFormula } from "../replica/row-hash-choice";
import { dropReplica, readTableColumns, replicaRowCount, truncateReplica } from "../replica/table";
import { applyColumnChoice, sourceTableLabel } from "../schema-changes/apply";
import { resolveColumnChoice } from "../schema-changes/choice";
import type { Credentials } from "./credentials";
import { planSoftDelete, type SoftDelete } from "../pull/soft-delete";
import type { Verifier } from "../verify/verifier";
import { type ReplicationHost, syncTask } from "./host";
import { INITIAL_PROGRESS, type Job, type JobSettings, type RunRecord } from "./model";
import {
  columnTypeChanges,
  type JobColumnsPlan,
  type JobColumnsRequest,
  missingIndexWarning,
  planJobColumns,
} from "./plan-job";
import { type JobRunner, messageOf, type RunTuning } from "./runs";
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_LOOKBACK_SECONDS,
  jobNameParam,
  RESERVED_TABLE,
  type SourceSettings,
} from "./settings";
import { holdsSecret, redactedSource, resolveSource, type ResolvedSource } from "./source-config";
import type { JobStore } from "./store";
import { checkReconcileCron, scheduleTasks, unscheduleTasks } from "./tasks";

/** Statement timeout of the checks made at create and patch time. */
const CHECK_STATEMENT_TIMEOUT_MS = 15_000;

export class JobManager {
  private readonly cdcStates: CdcStore;

  constructor(
    private readonly host: ReplicationHost,
    private readonly store: JobStore,
    private readonly runner: JobRunner,
    private readonly credentials: Credentials,
    private readonly tuning: RunTuning,
    private readonly verifier: Verifier,
  ) {
    this.cdcStates = new CdcStore(host.sql);
  }

  /** The job named by `input` (a name, or `{name}`); 400 for a malformed name, 404 for an unknown one. */
  require(input: unknown): Job {
    const name = this.requireName(input);
    return this.store.get(name)!;
  }

  requireName(input: unknown): string {
    const name = parseWith(jobNameParam, (input as { name?: unknown } | null)?.name ?? input);
    if (!this.store.exists(name)) throw new NotFoundError(`no replication job named ${name}`);
    return name;
  }

  view(job: Job): JobView {
    const name = job.settings.name;
    return jobView(job, {
      running: this.runner.isRunning(name),
      nextRunAt: this.host.scheduler.nextRunAt(syncTask(name)),
      replicaRows: replicaRowCount(this.host.sql, job.settings.target_table),
      verify: this.verifier.last(name),
      now: Date.now(),
      ...(job.settings.cdc ? { cdc: this.cdcLive(job) } : {}),
    });
  }

  private cdcLive(job: Job): CdcLive {
    const cdc = job.settings.cdc!;
    const state = this.cdcStates.get(job.settings.name);
    return {
      status: cdcStatus(cdc, state),
      snapshot: inSnapshot(state),
      warnings: cdcWarnings(cdc, state, job.settings.active),
    };
  }

  list(): JobView[] {
    return this.store.list().map((job) => this.view(job));
  }

  runs(input: unknown): RunRecord[] {
    return this.store.runs(this.requireName(input));
  }

  async create(input: unknown): Promise<JobView> {
    const body = parseWith(createJobBody, input);
    const settings: JobSettings = {
      name: body.name,
      mode: body.mode ?? "pull",
      source: body.source,
      table_name: body.table_name,
      target_table: body.target_table ?? body.table_name,
      tracking_col: body.tracking_col ?? null,
      tracking_type: body.tracking_type ?? null,
      primary_key: [],
      cron_tab: validateCronExpression(body.cron_tab),
      batch_size: body.batch_size ?? DEFAULT_BATCH_SIZE,
      // Mode cdc re-reads nothing.
      lookback_seconds: body.mode === "cdc" ? 0 : (body.lookback_seconds ?? DEFAULT_LOOKBACK_SECONDS),
      ...(body.late_commits === undefined ? {} : { late_commits: body.late_commits }),
      active: body.active ?? true,
      column_selection: body.columns === undefined ? "all" : "subset",
      on_column_drop: body.on_column_drop ?? "keep",
      reconcile_cron: checkReconcileCron(body.reconcile_cron) ?? null,
      soft_delete_col: null,
      soft_delete_kind: null,
    };
    if (RESERVED_TABLE.test(settings.target_table)) {
      throw new ValidationError(`target_table ${settings.target_table} is reserved: give target_table another name`);
    }
    this.refuseClash(settings);
    // Sealed before the source is contacted: without a key, nothing is tried with the password.
    const sealedSource = holdsSecret(body.source) ? await this.credentials.seal(body.source) : null;
    const resolved = resolveSource(settings.source, this.host.binding);
    if (settings.mode === "cdc") return this.createCdc(settings, body, sealedSource, resolved);
    const { plan, rowHash } = await this.inspect(resolved, async (source) => ({
      plan: await checkSourceTable(source, body),
      rowHash: await chooseRowHashFormula(source),
    }));
    settings.primary_key = plan.primaryKey;
    settings.tracking_col = plan.trackingCol;
    settings.soft_delete_col = plan.softDelete?.column ?? null;
    settings.soft_delete_kind = plan.softDelete?.kind ?? null;
    settings.source = redactedSource(body.source);
    this.checkTarget(settings);
    // Again after the awaits: another request may have taken the name or the table meanwhile.
    this.refuseClash(settings);
    const job: Job = {
      settings,
      sealedSource,
      columns: plan.columns,
      warnings: plan.warnings,
      progress: { ...INITIAL_PROGRESS },
      created_at: Date.now(),
      rowHash,
    };
    this.store.insert(job);
    return this.startSchedule(job);
  }

  /**
   * A change capture job: the source is checked, then its publication and slot
   * are created before the job is stored (the slot must exist before the copy
   * starts). If storing fails, they are dropped again.
   */
  private async createCdc(
    settings: JobSettings,
    body: CreateJobBody,
    sealedSource: string | null,
    resolved: ResolvedSource,
  ): Promise<JobView> {
    const { plan, rowHash } = await this.inspect(resolved, async (source) => {
      const planned = await planCdcJob(source, body);
      this.checkTarget(settings);
      const formula = await chooseRowHashFormula(source);
      await createCdcJobObjects(source, planned, settings.table_name);
      return { plan: planned, rowHash: formula };
    });
    const job: Job = {
      settings: { ...settings, primary_key: plan.primaryKey, source: redactedSource(body.source), cdc: plan.cdc },
      sealedSource,
      columns: plan.columns,
      warnings: plan.warnings,
      progress: { ...INITIAL_PROGRESS },
      created_at: Date.now(),
      rowHash,
    };
    try {
      // Again after the awaits: another request may have taken the name or the table meanwhile.
      this.refuseClash(settings);
      this.host.transaction(() => {
        this.store.insert(job);
        this.cdcStates.insert(settings.name, plan.state);
      });
    } catch (error) {
      await dropCdcJobObjects(plan.cdc, (work) => this.connect(resolved, work));
      throw error;
    }
    return this.startSchedule(job);
  }

  /** An existing replica table must fit the job: same columns and key, types of the same affinity. */
  /**
   * A job creates its replica itself. An existing table is refused whatever it holds: its rows
   * would stay (the copy only upserts), and its columns and constraints are someone else's (the
   * client role may make a table named as a future replica, with a ROLLBACK conflict clause or a
   * deferred foreign key that would make the job's writes restart the object).
   */
  private checkTarget(settings: JobSettings): void {
    const table = settings.target_table;
    if (readTableColumns(this.host.sql, table).length === 0) return;
    throw new ConflictError(
      `target_table "${table}" already exists: a job creates its replica itself, so that it holds exactly ` +
        `the source's rows and columns; drop that table, or choose another target_table`,
    );
  }

  private startSchedule(job: Job): JobView {
    const { settings } = job;
    try {
      scheduleTasks(this.host.scheduler, settings);
      // A new job starts copying now rather than at its first tick, which may be an hour away.
      if (settings.active) this.host.scheduler.runSoon(syncTask(settings.name));
    } catch (error) {
      unscheduleTasks(this.host.scheduler, settings.name);
      this.store.delete(settings.name);
      this.cdcStates.delete(settings.name);
      throw error;
    }
    return this.view(job);
  }

  async patch(input: unknown): Promise<JobView> {
    const { name, changes } = input as { name: unknown; changes: unknown };
    const body = parseWith(patchJobBody, changes);
    const cronTab = body.cron_tab === undefined ? undefined : validateCronExpression(body.cron_tab);
    const reconcileCron = checkReconcileCron(body.reconcile_cron);
    const mode = this.require(name).settings.mode;
    if (body.wal_warning_bytes !== undefined && mode !== "cdc") {
      throw new ValidationError("wal_warning_bytes applies to mode cdc only");
    }
    if (body.lookback_seconds !== undefined && mode !== "pull") {
      throw new ValidationError("lookback_seconds applies to mode pull only: mode cdc reads every change");
    }
    if (body.late_commits !== undefined && mode !== "pull") {
      throw new ValidationError("late_commits applies to mode pull only: mode cdc reads every change");
    }
    if (typeof body.soft_delete_col === "string" && mode !== "pull") {
      throw new ValidationError("soft_delete_col applies to mode pull only: mode cdc replicates deletes");
    }
    let sealedSource: string | null | undefined;
    if (body.source !== undefined) {
      const job = this.require(name);
      sealedSource = holdsSecret(body.source) ? await this.credentials.seal(body.source) : null;
      await this.checkNewSource(job, body.source);
    }
    const sourceColumns =
      body.columns === undefined ? undefined : await this.sourceColumns(this.require(name), body.source);
    let softDelete: SoftDelete | null | undefined = body.soft_delete_col === null ? null : undefined;
    if (typeof body.soft_delete_col === "string") {
      softDelete = await this.checkSoftDelete(this.require(name), body.soft_delete_col, body.source);
    }
    // Applied to the job as it is now: a pause or another change may have landed during the check.
    const job = this.require(name);
    let settings: JobSettings = {
      ...job.settings,
      ...(cronTab === undefined ? {} : { cron_tab: cronTab }),
      ...(body.source === undefined ? {} : { source: redactedSource(body.source) }),
      ...(body.batch_size === undefined ? {} : { batch_size: body.batch_size }),
      ...(body.lookback_seconds === undefined ? {} : { lookback_seconds: body.lookback_seconds }),
      ...(body.late_commits === undefined ? {} : { late_commits: body.late_commits }),
      ...(body.active === undefined ? {} : { active: body.active }),
      ...(body.on_column_drop === undefined ? {} : { on_column_drop: body.on_column_drop }),
      ...(reconcileCron === undefined ? {} : { reconcile_cron: reconcileCron }),
      ...(softDelete === undefined
        ? {}
        : { soft_delete_col: softDelete?.column ?? null, soft_delete_kind: softDelete?.kind ?? null }),
      ...(body.wal_warning_bytes === undefined || !job.settings.cdc
        ? {}
        : { cdc: { ...job.settings.cdc, wal_warning_bytes: body.wal_warning_bytes } }),
    };
    if (body.columns !== undefined) {
      const table = sourceTableLabel(settings);
      const chosen = resolveColumnChoice(body.columns, sourceColumns!, settings, table);
      this.runner.refuseWhileRunning(settings.name, "change the columns of");
      settings = applyColumnChoice(
        this.host,
        { ...job, settings },
        sourceColumns!,
        { columns: chosen, onDrop: settings.on_column_drop ?? "keep" },
        { dialect: settings.source.dialect, table },
      ).settings;
      // A new choice is copied by the next run: now, rather than at the next tick.
      if (settings.active) this.host.scheduler.runSoon(syncTask(settings.name));
    }
    this.store.saveSettings(settings, sealedSource === undefined ? job.sealedSource : sealedSource);
    scheduleTasks(this.host.scheduler, settings);
    return this.view(this.require(settings.name));
  }

  setActive(input: unknown, active: boolean): JobView {
    const job = this.require(input);
    const settings = { ...job.settings, active };
    this.store.saveSettings(settings, job.sealedSource);
    scheduleTasks(this.host.scheduler, settings);
    // A paused job holds no connection to its source.
    if (!active) void this.runner.connections.forget(settings.name);
    return this.view(this.require(settings.name));
  }

  reset(input: unknown): JobView {
    const { name, truncate } = input as { name: unknown; truncate?: boolean };
    const job = this.require(name);
    this.runner.refuseWhileRunning(job.settings.name, "reset");
    this.host.transaction(() => {
      this.store.resetProgress(job.settings.name, rowHashFormulaAfterReset(job.settings.source.dialect, job.rowHash));
      // Change capture copies the table again and replays the slot from where it stands.
      if (job.settings.cdc)
        restartSnapshot(this.host, this.cdcStates, this.store, job, { truncate: !!truncate, newSlot: false });
      else if (truncate) truncateReplica(this.host.sql, job.settings.target_table);
    });
    return this.view(this.require(job.settings.name));
  }

  /**
   * Deletes a job even when its stored row no longer parses; the replica is dropped
   * only on request. A change capture job's slot and publication are dropped at the
   * source first; when the source cannot be reached the job is deleted anyway, and
   * the answer says what was left there.
   */
  async delete(input: unknown): Promise<{ deleted: string; dropped_table: boolean; cdc?: CdcCleanup }> {
    const { name: given, dropTable } = input as { name: unknown; dropTable?: boolean };
    const name = this.requireName(given);
    this.runner.refuseWhileRunning(name, "delete");
    const job = this.readable(name);
    const target = dropTable ? this.store.get(name)!.settings.target_table : undefined;
    unscheduleTasks(this.host.scheduler, name);
    await this.runner.connections.forget(name);
    let cdc: CdcCleanup | undefined;
    if (job?.settings.cdc) {
      const settings = job.settings.cdc;
      // No run may start while the slot is being dropped: it would hold the slot.
      cdc = await this.runner.exclusive(name, "delete", () =>
        dropCdcJobObjects(settings, async (work) => {
          const source = job.sealedSource ? await this.credentials.unseal(job.sealedSource) : job.settings.source;
          await this.connect(resolveSource(source, this.host.binding), work);
        }),
      );
    }
    this.host.transaction(() => {
      this.store.delete(name);
      this.cdcStates.delete(name);
      dropReplica(this.host.sql, shadowTable(name));
      if (target !== undefined) dropReplica(this.host.sql, target);
    });
    return { deleted: name, dropped_table: target !== undefined, ...(cdc ? { cdc } : {}) };
  }

  /** The job, or undefined when its stored row no longer parses. */
  private readable(name: string): Job | undefined {
    try {
      return this.store.get(name);
    } catch {
      return undefined;
    }
  }

  /** Job names are unique, and so are target tables (SQLite names ignore case): two jobs must never share a replica. */
  private refuseClash(settings: JobSettings): void {
    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    const jobs = this.store.targets();
    const named = jobs.find((job) => same(job.name, settings.name));
    if (named) throw new ConflictError(`a replication job named ${named.name} already exists`);
    const sharing = jobs.find((job) => same(job.target, settings.target_table));
    if (sharing) {
      throw new ConflictError(
        `table ${settings.target_table} is already the replica of job ${sharing.name}: choose another target_table`,
      );
    }
  }

  /** Connects to the source for work whose failure the caller handles; secrets are redacted from errors. */
  private async connect(resolved: ResolvedSource, work: (source: SourceConnection) => Promise<void>): Promise<void> {
    try {
      await withOpenedSource(this.host.open, resolved.config, work, this.tuning.sourceOptions);
    } catch (error) {
      throw new Error(redact(messageOf(error), resolved.secrets));
    }
  }

  /** Connects to the source for a check at create or patch time: any failure is the caller's 400. */
  private async inspect<T>(resolved: ResolvedSource, work: (source: SourceConnection) => Promise<T>): Promise<T> {
    try {
      return await withOpenedSource(this.host.open, resolved.config, work, {
        ...this.tuning.sourceOptions,
        statementTimeoutMs: CHECK_STATEMENT_TIMEOUT_MS,
      });
    } catch (error) {
      const message = redact(messageOf(error), resolved.secrets);
      if (error instanceof ValidationError) throw new ValidationError(message);
      throw new ValidationError(`source check failed: ${message}`);
    }
  }

  /** The new source must still serve every replicated column, the key and the tracking column, with the same types. */
  private async checkNewSource(job: Job, source: SourceSettings): Promise<void> {
    if (source.dialect !== job.settings.source.dialect) {
      throw new ValidationError(
        `source.dialect cannot change (${job.settings.source.dialect}); create a new job instead`,
      );
    }
    const cdc = job.settings.cdc;
    const plan = await this.inspect(resolveSource(source, this.host.binding), async (connection) => {
      // A change capture job may move to another server: its slot is created there on the next run.
      if (cdc)
        await checkCdcSource(connection, job.settings.table_name, cdc.owns_publication ? undefined : cdc.publication);
      return checkSourceTable(connection, { ...job.settings, columns: job.columns.map((c) => c.name) });
    });
    const changed = columnTypeChanges(job.columns, plan.columns);
    if (changed.length) throw new ValidationError(`the new source does not fit this job: ${changed.join("; ")}`);
  }

  /** The source table's columns now, from the given new source or the job's own. */
  private async sourceColumns(job: Job, newSource: SourceSettings | undefined): Promise<SourceColumn[]> {
    const source =
      newSource ?? (job.sealedSource ? await this.credentials.unseal(job.sealedSource) : job.settings.source);
    return this.inspect(resolveSource(source, this.host.binding), (connection) =>
      connection.describeColumns(job.settings.table_name),
    );
  }

  /** soft_delete_col must name a timestamp, boolean or integer column of the (new, if given) source table. */
  private async checkSoftDelete(job: Job, column: string, newSource?: SourceSettings): Promise<SoftDelete> {
    const source =
      newSource ?? (job.sealedSource ? await this.credentials.unseal(job.sealedSource) : job.settings.source);
    return this.inspect(resolveSource(source, this.host.binding), async (connection) =>
      planSoftDelete(
        connection.dialect,
        await connection.describeTable(job.settings.table_name),
        column,
        job.settings.primary_key,
      ),
    );
  }
}

/** Reads the source table and plans the job's columns and soft delete; warns when no index serves the cursor. */
async function checkSourceTable(
  source: SourceConnection,
  request: JobColumnsRequest & { soft_delete_col?: string | null },
): Promise<JobColumnsPlan & { softDelete: SoftDelete | null }> {
  const info = await source.describeTable(request.table_name);
  const columns = planJobColumns(info, request);
  const softDelete = request.soft_delete_col
    ? planSoftDelete(source.dialect, info, request.soft_delete_col, columns.primaryKey)
    : null;
  const plan = { ...columns, softDelete };
  const tracking = plan.trackingCol;
  if (tracking !== null && !(await source.hasIndexStartingWith(request.table_name, [tracking]))) {
    plan.warnings.push(missingIndexWarning(request.table_name, tracking, plan.primaryKey));
  }
  return plan;
}
