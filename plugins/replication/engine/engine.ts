/**
 * The replication engine as one object living inside the Durable Object:
 * its tables, what runs when the object starts, the methods the REST API
 * calls, and the tick the host's scheduler delivers. Hosts construct it with
 * a ReplicationHost (engine/host.ts) and never reach inside it.
 */
import { Credentials } from "./credentials";
import type { JobTask, ReplicationHost } from "./host";
import { JobManager } from "./jobs";
import { replicationMigrations } from "./migrations";
import { defaultTuning, JobRunner, type RunTuning } from "./runs";
import { holdsSecret, redactedSource } from "./source-config";
import { JobStore } from "./store";
import { Verifier } from "../verify/verifier";

/** The methods the REST API calls, by name; each takes one JSON-like input. */
export type EngineMethod =
  | "createJob"
  | "listJobs"
  | "getJob"
  | "patchJob"
  | "runJob"
  | "pauseJob"
  | "resumeJob"
  | "resetJob"
  | "deleteJob"
  | "listRuns"
  | "verifyJob";

export class ReplicationEngine {
  readonly migrations = replicationMigrations;
  readonly tuning: RunTuning = defaultTuning();
  readonly rpc: Readonly<Record<EngineMethod, (input: unknown) => unknown>>;
  private readonly store: JobStore;
  private readonly credentials: Credentials;
  private readonly runner: JobRunner;
  private readonly jobs: JobManager;
  readonly verifier: Verifier;

  constructor(host: ReplicationHost) {
    this.store = new JobStore(host.sql);
    this.credentials = new Credentials(host.binding);
    this.runner = new JobRunner(host, this.store, this.credentials, this.tuning);
    this.verifier = new Verifier(host, this.store, this.runner, this.credentials, this.tuning);
    this.jobs = new JobManager(host, this.store, this.runner, this.credentials, this.tuning, this.verifier);
    this.rpc = {
      createJob: (input) => this.jobs.create(input),
      listJobs: () => this.jobs.list(),
      getJob: (input) => this.jobs.view(this.jobs.require(input)),
      patchJob: (input) => this.jobs.patch(input),
      runJob: (input) => this.runner.run(this.jobs.requireName(input), "manual"),
      pauseJob: (input) => this.jobs.setActive(input, false),
      resumeJob: (input) => this.jobs.setActive(input, true),
      resetJob: (input) => this.jobs.reset(input),
      deleteJob: (input) => this.jobs.delete(input),
      listRuns: (input) => this.jobs.runs(input),
      verifyJob: (input) => {
        const { repair, values } = input as { repair?: boolean; values?: boolean };
        return this.verifier.verify(this.jobs.requireName(input), repair === true, values === true);
      },
    };
  }

  /** Closes the connections jobs keep open between their runs (engine/connections.ts), now rather than when idle. */
  closeKeptConnections(): Promise<void> {
    return this.runner.connections.closeAll();
  }

  /** Once per object start, after the migrations: closes interrupted runs, seals credentials under the current key. */
  async start(): Promise<void> {
    // No run survives a restart: whatever it committed stays, the rest is read again by the next run.
    this.store.closeInterruptedRuns(Date.now());
    await this.sealCredentials();
  }

  /** A tick of one of a job's scheduled tasks. */
  tick(task: JobTask): Promise<void> {
    if (task.kind === "sync") return this.runner.tick(task.job);
    if (task.kind === "reconcile") return this.verifier.reconcile(task.job);
    // A task kind this version does not run (left by a newer one): nothing to do.
    return Promise.resolve();
  }

  /** Replica tables, which the client role may read but never change. */
  readOnlyTables(): Array<[table: string, owner: string]> {
    return this.store.targets().map(({ name, target }) => [target, `replication job ${name}`]);
  }

  /**
   * Re-seals credentials sealed under a previous key, and seals those stored in
   * clear text by an earlier version. Without a key, clear ones stay (and say so in logs).
   */
  private async sealCredentials(): Promise<void> {
    const current = await this.credentials.currentKeyId().catch(() => null);
    for (const { name, sealed } of this.store.sealedSources()) {
      if (current === null || Credentials.keyIdOf(sealed) === current) continue;
      try {
        this.store.replaceSealedSource(name, await this.credentials.seal(await this.credentials.unseal(sealed)));
      } catch (error) {
        console.error(`replication: credentials of job ${name} could not be re-sealed: ${String(error)}`);
      }
    }
    for (const job of this.store.list().filter((j) => !j.sealedSource && holdsSecret(j.settings.source))) {
      if (current === null) {
        console.error(`replication: job ${job.settings.name} stores its password in clear text until a key is set`);
        continue;
      }
      const sealed = await this.credentials.seal(job.settings.source);
      this.store.saveSettings({ ...job.settings, source: redactedSource(job.settings.source) }, sealed);
    }
  }
}
