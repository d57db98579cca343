import { AppError, ConflictError, NotFoundError, ValidationError } from "../../src/errors";
import { parseWith } from "../../src/http/body";
import type { DurableHost, DurablePart } from "../../src/plugin";
import { redact } from "../../src/redact";
import { dialectOf, withSource } from "../../src/sources";
import type { SourceConnection, SourceOptions } from "../../src/sources/types";
import type { CronApi, CronEvent } from "../cron";
import { validateCronExpression } from "../cron";
import { replicationMigrations } from "./migrations";
import { type Job, type JobSettings, type RunSummary, backoffMs, INITIAL_PROGRESS } from "./model";
import {
  columnTypeChanges,
  type JobColumnsPlan,
  type JobColumnsRequest,
  missingIndexWarning,
  planJobColumns,
} from "./plan-job";
import {
  createJobBody,
  DEFAULT_BATCH_SIZE,
  DEFAULT_LOOKBACK_SECONDS,
  jobName,
  patchJobBody,
  type SourceSettings,
} from "./schema";
import { resolveSource, type ResolvedSource } from "./source-config";
import { JobStore } from "./store";
import { DEFAULT_BOUNDS, dropTarget, readTableColumns, type RunBounds, syncJob, truncateTarget } from "./sync";
import { targetProblems } from "./target";
import { type JobView, jobView } from "./view";

/** Cron task names of replication jobs start with this. */
export const TASK_PREFIX = "replication:";
const taskName = (job: string) => `${TASK_PREFIX}${job}`;

/**
 * The replication plugin inside the Durable Object: job lifecycle, one run per
 * job at a time, and the cron handler that runs jobs on their schedule.
 */
export class ReplicationService implements DurablePart {
  readonly migrations = replicationMigrations;
  /** Overridable (tests, benchmarks) to make runs shorter or longer. */
  bounds: RunBounds = { ...DEFAULT_BOUNDS };
  /** Connect and statement timeouts of a run's source connection. */
  sourceOptions: SourceOptions = {
    connectTimeoutMs: 10_000,
    statementTimeoutMs: 30_000,
    applicationName: "starbase-replication",
  };
  private readonly store: JobStore;
  /** Jobs with a run in progress in this object. */
  private readonly running = new Set<string>();

  readonly rpc = {
    createJob: (input: unknown) => this.createJob(input),
    listJobs: () => this.store.list().map((job) => this.view(job)),
    getJob: (input: unknown) => this.view(this.require(input)),
    patchJob: (input: unknown) => this.patchJob(input),
    runJob: (input: unknown) => this.runJob(this.require(input).settings.name, "manual"),
    pauseJob: (input: unknown) => this.setActive(input, false),
    resumeJob: (input: unknown) => this.setActive(input, true),
    resetJob: (input: unknown) => this.resetJob(input),
    deleteJob: (input: unknown) => this.deleteJob(input),
    listRuns: (input: unknown) => this.store.runs(this.require(input).settings.name),
  };

  constructor(private readonly host: DurableHost) {
    this.store = new JobStore(host.sql);
  }

  readOnlyTables(): Array<[string, string]> {
    return this.store.targets();
  }

  onStart(): void {
    // No run survives a restart: whatever it committed stays, the rest is read again by the next run.
    this.store.closeInterruptedRuns(Date.now());
    this.cron().onEvent((event) => this.onTick(event), { prefix: TASK_PREFIX });
  }

  private cron(): CronApi {
    return this.host.part<CronApi>("cron");
  }

  private require(input: unknown): Job {
    const name = parseWith(jobName, (input as { name?: unknown } | null)?.name ?? input);
    const job = this.store.get(name);
    if (!job) throw new NotFoundError(`no replication job named ${name}`);
    return job;
  }

  private view(job: Job): JobView {
    const task = this.cron().getTask(taskName(job.settings.name));
    return jobView(job, {
      running: this.running.has(job.settings.name),
      nextRunAt: task?.next_run_at ?? null,
      now: Date.now(),
    });
  }

  async createJob(input: unknown): Promise<JobView> {
    const body = parseWith(createJobBody, input);
    const settings: JobSettings = {
      name: body.name,
      source: body.source,
      table_name: body.table_name,
      target_table: body.target_table ?? body.table_name,
      tracking_col: body.tracking_col,
      tracking_type: body.tracking_type,
      primary_key: [],
      cron_tab: validateCronExpression(body.cron_tab),
      batch_size: body.batch_size ?? DEFAULT_BATCH_SIZE,
      lookback_seconds: body.lookback_seconds ?? DEFAULT_LOOKBACK_SECONDS,
      active: body.active ?? true,
    };
    if (/^(tmp_|sqlite_|_cf_)/i.test(settings.target_table)) {
      throw new ValidationError(`target_table ${settings.target_table} is reserved: give target_table another name`);
    }
    this.refuseClash(settings);
    const plan = await this.inspect(resolveSource(settings.source, this.host.env), (source) =>
      checkSourceTable(source, body),
    );
    settings.primary_key = plan.primaryKey;
    settings.tracking_col = plan.trackingCol;
    const existing = readTableColumns(this.host.sql, settings.target_table);
    if (existing.length) {
      const problems = targetProblems(settings.target_table, existing, plan.columns, plan.primaryKey);
      if (problems.length) throw new ValidationError(problems.join("; "));
    }
    // Again after the await: another request may have taken the name or the table meanwhile.
    this.refuseClash(settings);
    const job: Job = {
      settings,
      columns: plan.columns,
      warnings: plan.warnings,
      progress: { ...INITIAL_PROGRESS },
      created_at: Date.now(),
    };
    this.store.insert(job);
    try {
      this.cron().addEvent(settings.cron_tab, taskName(settings.name), { job: settings.name });
      // A new job starts copying now rather than at its first tick, which may be an hour away.
      if (settings.active) this.cron().requestRun(taskName(settings.name));
      else this.cron().pause(taskName(settings.name));
    } catch (error) {
      this.store.delete(settings.name);
      throw error;
    }
    return this.view(job);
  }

  /** Job names are unique, and so are target tables (SQLite names ignore case): two jobs must never share a replica. */
  private refuseClash(settings: JobSettings): void {
    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    const jobs = this.store.list();
    const named = jobs.find((other) => same(other.settings.name, settings.name));
    if (named) throw new ConflictError(`a replication job named ${named.settings.name} already exists`);
    const sharing = jobs.find((other) => same(other.settings.target_table, settings.target_table));
    if (sharing) {
      throw new ConflictError(
        `table ${settings.target_table} is already the replica of job ${sharing.settings.name}: choose another target_table`,
      );
    }
  }

  /** Connects to the source for a check at create or patch time: any failure is the caller's 400. */
  private async inspect<T>(resolved: ResolvedSource, work: (source: SourceConnection) => Promise<T>): Promise<T> {
    try {
      return await withSource(resolved.config, work, { ...this.sourceOptions, statementTimeoutMs: 15_000 });
    } catch (error) {
      const message = redact(messageOf(error), resolved.secrets);
      if (error instanceof ValidationError) throw new ValidationError(message);
      throw new ValidationError(`source check failed: ${message}`);
    }
  }

  async patchJob(input: unknown): Promise<JobView> {
    const { name, changes } = input as { name: unknown; changes: unknown };
    const body = parseWith(patchJobBody, changes);
    const cronTab = body.cron_tab === undefined ? undefined : validateCronExpression(body.cron_tab);
    if (body.source !== undefined) await this.checkNewSource(this.require(name), body.source);
    // Applied to the job as it is now: a pause or another change may have landed during the check.
    const job = this.require(name);
    const settings: JobSettings = {
      ...job.settings,
      ...(cronTab === undefined ? {} : { cron_tab: cronTab }),
      ...(body.source === undefined ? {} : { source: body.source }),
      ...(body.batch_size === undefined ? {} : { batch_size: body.batch_size }),
      ...(body.lookback_seconds === undefined ? {} : { lookback_seconds: body.lookback_seconds }),
      ...(body.active === undefined ? {} : { active: body.active }),
    };
    this.store.saveSettings(settings);
    this.schedule(settings, cronTab);
    return this.view(this.require(settings.name));
  }

  /** The new source must still serve every replicated column, the key and the tracking column, with the same types. */
  private async checkNewSource(job: Job, source: SourceSettings): Promise<void> {
    if (source.dialect !== job.settings.source.dialect) {
      throw new ValidationError(
        `source.dialect cannot change (${job.settings.source.dialect}); create a new job instead`,
      );
    }
    const plan = await this.inspect(resolveSource(source, this.host.env), (connection) =>
      checkSourceTable(connection, { ...job.settings, columns: job.columns.map((c) => c.name) }),
    );
    const changed = columnTypeChanges(job.columns, plan.columns);
    if (changed.length) throw new ValidationError(`the new source does not fit this job: ${changed.join("; ")}`);
  }

  private setActive(input: unknown, active: boolean): JobView {
    const job = this.require(input);
    const settings = { ...job.settings, active };
    this.store.saveSettings(settings);
    this.schedule(settings);
    return this.view(this.require(settings.name));
  }

  /** Brings the job's cron task in line with its settings: a new expression, enabled or paused. */
  private schedule(settings: JobSettings, newCronTab?: string): void {
    const task = taskName(settings.name);
    if (newCronTab !== undefined) this.cron().addEvent(newCronTab, task, { job: settings.name });
    if (settings.active) this.cron().resume(task);
    else this.cron().pause(task);
  }

  private resetJob(input: unknown): JobView {
    const { name, truncate } = input as { name: unknown; truncate?: boolean };
    const job = this.require(name);
    this.refuseWhileRunning(job.settings.name, "reset");
    this.host.storage.transactionSync(() => {
      this.store.resetProgress(job.settings.name);
      if (truncate) truncateTarget(this.host.sql, job.settings.target_table);
    });
    return this.view(this.require(job.settings.name));
  }

  private deleteJob(input: unknown): { deleted: string; dropped_table: boolean } {
    const { name, dropTable } = input as { name: unknown; dropTable?: boolean };
    const job = this.require(name);
    this.refuseWhileRunning(job.settings.name, "delete");
    this.cron().removeEvent(taskName(job.settings.name));
    this.host.storage.transactionSync(() => {
      this.store.delete(job.settings.name);
      if (dropTable) dropTarget(this.host.sql, job.settings.target_table);
    });
    return { deleted: job.settings.name, dropped_table: Boolean(dropTable) };
  }

  private refuseWhileRunning(name: string, action: string): void {
    if (this.running.has(name))
      throw new ConflictError(`a run of job ${name} is in progress; ${action} it when the run ends`);
  }

  /** Runs a job now. Only one run per job at a time: a second caller gets 409. */
  async runJob(name: string, trigger: "cron" | "manual"): Promise<RunSummary> {
    this.refuseWhileRunning(name, "run");
    const job = this.store.get(name);
    if (!job) throw new NotFoundError(`no replication job named ${name}`);
    this.running.add(name);
    try {
      return await this.execute(job, trigger);
    } finally {
      this.running.delete(name);
    }
  }

  private async execute(job: Job, trigger: "cron" | "manual"): Promise<RunSummary> {
    const name = job.settings.name;
    const started = Date.now();
    const runId = this.store.startRun(name, trigger, started);
    const tally = { rows: 0, pages: 0 };
    let resolved: ResolvedSource | undefined;
    try {
      resolved = resolveSource(job.settings.source, this.host.env);
      const dialect = dialectOf(job.settings.source.dialect);
      const result = await withSource(
        resolved.config,
        (source) =>
          syncJob({
            storage: this.host.storage,
            store: this.store,
            source,
            dialect,
            job,
            runId,
            bounds: this.bounds,
            tally,
          }),
        this.sourceOptions,
      );
      const ended = Date.now();
      this.store.updateRun(runId, { ...tally, done: result.done, ended_at: ended });
      this.store.saveOutcome(name, {
        caught_up: result.done,
        last_run_at: started,
        last_success_at: ended,
        last_error: null,
        consecutive_failures: 0,
        retry_at: null,
      });
      if (!result.done && job.settings.active) this.cron().requestRun(taskName(name));
      return {
        rows: tally.rows,
        pages: tally.pages,
        cursor: result.cursor,
        done: result.done,
        duration_ms: ended - started,
      };
    } catch (error) {
      const message = redact(messageOf(error), resolved?.secrets ?? []);
      const failures = job.progress.consecutive_failures + 1;
      const ended = Date.now();
      this.store.updateRun(runId, { ...tally, done: false, error: message, ended_at: ended });
      this.store.saveOutcome(name, {
        caught_up: false,
        last_run_at: started,
        last_success_at: job.progress.last_success_at,
        last_error: message,
        consecutive_failures: failures,
        retry_at: ended + backoffMs(failures),
      });
      console.error(`replication job ${name} failed: ${message}`);
      // The connectors raise SourceUnavailableError; anything else unexpected is ours, not the source's.
      throw new AppError(error instanceof AppError ? error.kind : "internal", message);
    }
  }

  /** A cron tick: run unless paused, already running, or backing off after failures. */
  private async onTick(event: CronEvent): Promise<void> {
    const name = (event.payload as { job?: string } | null)?.job ?? event.name.slice(TASK_PREFIX.length);
    const job = this.store.get(name);
    if (!job) {
      this.cron().removeEvent(event.name);
      return;
    }
    if (!job.settings.active || this.running.has(name)) return;
    if (job.progress.retry_at !== null && Date.now() < job.progress.retry_at) {
      // Skipping is not success: keep the cron task showing why the job is not running.
      throw new Error(
        `backing off until ${new Date(job.progress.retry_at).toISOString()}: ${job.progress.last_error ?? "previous run failed"}`,
      );
    }
    await this.runJob(name, "cron");
  }
}

/** Reads the source table and plans the job's columns; warns when no index serves the cursor. */
async function checkSourceTable(source: SourceConnection, request: JobColumnsRequest): Promise<JobColumnsPlan> {
  const info = await source.describeTable(request.table_name);
  const plan = planJobColumns(info, request);
  if (!(await source.hasIndexStartingWith(request.table_name, [plan.trackingCol]))) {
    plan.warnings.push(missingIndexWarning(request.table_name, plan.trackingCol, plan.primaryKey));
  }
  return plan;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
