/**
 * Running jobs: one run per job at a time, each run recorded with its outcome,
 * failures backed off, and a backlog continued through the host's scheduler.
 */
import { AppError, clipMessage, ConflictError, NotFoundError } from "../../../src/errors";
import { redact } from "../../../src/redact";
import { dialectOf } from "../../../src/sources";
import type { SourceOptions } from "../../../src/sources/types";
import { runCdc } from "../cdc/run";
import { type CdcTuning, defaultCdcTuning } from "../cdc/tuning";
import { DEFAULT_BOUNDS, type RunBounds } from "../pull/sync";
import { type SchemaSyncResult, syncFollowingSchema } from "../schema-changes/run";
import { KEEP_IDLE_MS, KeptConnections } from "./connections";
import type { Credentials } from "./credentials";
import { type ReplicationHost, syncTask } from "./host";
import { backoffMs, type RunSummary, type RunTrigger } from "./model";
import { resolveSource, type ResolvedSource } from "./source-config";
import type { JobStore } from "./store";

/** Limits and timeouts of runs; overridable (tests, benchmarks) to make runs shorter or longer. */
export interface RunTuning {
  bounds: RunBounds;
  /** Connect and statement timeouts of a run's source connection. */
  sourceOptions: SourceOptions;
  /** How long a job's connection stays open after a successful run, for its next run (0: closed at once). */
  keepIdleMs: number;
  /** Reading a replication slot (mode cdc). */
  cdc: CdcTuning;
}

export function defaultTuning(): RunTuning {
  return {
    bounds: { ...DEFAULT_BOUNDS },
    sourceOptions: { connectTimeoutMs: 10_000, statementTimeoutMs: 30_000, applicationName: "starbase-replication" },
    keepIdleMs: KEEP_IDLE_MS,
    cdc: defaultCdcTuning(),
  };
}

export class JobRunner {
  /** Jobs with a run in progress in this object. */
  private readonly running = new Set<string>();
  /** Each job's connection, kept open between its runs. */
  readonly connections: KeptConnections;

  constructor(
    private readonly host: ReplicationHost,
    private readonly store: JobStore,
    private readonly credentials: Credentials,
    private readonly tuning: RunTuning,
  ) {
    this.connections = new KeptConnections(host.open, () => this.tuning.keepIdleMs);
  }

  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  refuseWhileRunning(name: string, action: string): void {
    if (this.running.has(name)) {
      throw new ConflictError(`a run of job ${name} is in progress; ${action} it when the run ends`);
    }
  }

  /** Runs `work` as the job's one run in progress (a verification, a reconciliation): 409 while another is. */
  async exclusive<T>(name: string, action: string, work: () => Promise<T>): Promise<T> {
    this.refuseWhileRunning(name, action);
    this.running.add(name);
    try {
      return await work();
    } finally {
      this.running.delete(name);
    }
  }

  /** Runs a job now. Only one run per job at a time: a second caller gets 409. */
  async run(name: string, trigger: RunTrigger): Promise<RunSummary> {
    this.refuseWhileRunning(name, "run");
    if (!this.store.exists(name)) throw new NotFoundError(`no replication job named ${name}`);
    this.running.add(name);
    try {
      return await this.execute(name, trigger);
    } finally {
      this.running.delete(name);
    }
  }

  /** A scheduled tick: run unless paused, already running, or backing off after failures. */
  async tick(name: string): Promise<void> {
    if (!this.store.exists(name)) {
      this.host.scheduler.unschedule(syncTask(name));
      return;
    }
    const job = this.store.get(name)!;
    if (!job.settings.active || this.running.has(name)) return;
    if (job.progress.retry_at !== null && Date.now() < job.progress.retry_at) {
      // Skipping is not success: keep the task showing why the job is not running.
      throw new Error(
        `backing off until ${new Date(job.progress.retry_at).toISOString()}: ${job.progress.last_error ?? "previous run failed"}`,
      );
    }
    await this.run(name, "cron");
  }

  private async execute(name: string, trigger: RunTrigger): Promise<RunSummary> {
    const started = Date.now();
    const runId = this.store.startRun(name, trigger, started);
    const tally = { rows: 0, pages: 0 };
    let resolved: ResolvedSource | undefined;
    let active = false;
    try {
      // Loaded inside the run: a stored row that fails its checks fails the run, and nothing reaches the source.
      const job = this.store.get(name)!;
      active = job.settings.active;
      const source = job.sealedSource ? await this.credentials.unseal(job.sealedSource) : job.settings.source;
      resolved = resolveSource(source, this.host.binding);
      const dialect = dialectOf(job.settings.source.dialect);
      const result = await this.connections.run(
        name,
        resolved.config,
        job.settings.mode === "cdc"
          ? { ...this.tuning.sourceOptions, statementTimeoutMs: this.tuning.cdc.statementTimeoutMs }
          : this.tuning.sourceOptions,
        (connection): Promise<SchemaSyncResult & { note: string | null }> => {
          const context = {
            host: this.host,
            store: this.store,
            source: connection,
            dialect,
            job,
            runId,
            bounds: this.tuning.bounds,
            tally,
          };
          return job.settings.mode === "cdc"
            ? runCdc({ ...context, tuning: this.tuning.cdc })
            : syncFollowingSchema(context).then((synced) => ({ ...synced, note: null }));
        },
      );
      const ended = Date.now();
      this.store.updateRun(runId, { ...tally, done: result.done, ended_at: ended, note: result.note });
      this.store.saveSuccess(name, {
        caughtUp: result.caughtUp,
        current: result.current,
        ...(result.currentSince === undefined ? {} : { currentSince: result.currentSince }),
        startedAt: started,
        endedAt: ended,
      });
      if (!result.done && active) this.host.scheduler.runSoon(syncTask(name));
      return {
        rows: tally.rows,
        pages: tally.pages,
        cursor: result.cursor,
        done: result.done,
        duration_ms: ended - started,
        schema_changes: result.schemaChanges,
        note: result.note,
      };
    } catch (error) {
      const message = clipMessage(redact(messageOf(error), resolved?.secrets ?? []));
      const ended = Date.now();
      this.store.updateRun(runId, { ...tally, done: false, error: message, ended_at: ended });
      this.store.saveFailure(name, { startedAt: started, error: message, retryAt: (n) => ended + backoffMs(n) });
      console.error(`replication job ${name} failed: ${message}`);
      // The connectors raise SourceUnavailableError; anything else unexpected is ours, not the source's.
      throw new AppError(error instanceof AppError ? error.kind : "internal", message);
    }
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
