/**
 * The replication engine in this project's own host: it lives in the durable
 * part of the plugin, runs on the cron plugin's in-object scheduler, and reads
 * bindings from the Durable Object's env.
 */
import { lookupBinding } from "../../../src/env";
import type { DurableHost, DurablePart } from "../../../src/plugin";
import { openSource } from "../../../src/sources";
import type { CronApi } from "../../cron";
import { ReplicationEngine } from "../engine/engine";
import { type JobScheduler, type JobTask, TASK_PREFIX, taskName, taskOfName } from "../engine/host";

/** The cron plugin's tasks as the engine's scheduler. */
export class CronJobScheduler implements JobScheduler {
  constructor(private readonly cron: () => CronApi) {}

  schedule(task: JobTask, cronTab: string, active: boolean): void {
    const name = taskName(task);
    // Same expression: the task keeps its next run, so re-registering never drops a tick.
    this.cron().addEvent(cronTab, name, { job: task.job, kind: task.kind });
    if (active) this.cron().resume(name);
    else this.cron().pause(name);
  }

  unschedule(task: JobTask): void {
    this.cron().removeEvent(taskName(task));
  }

  runSoon(task: JobTask): void {
    this.cron().requestRun(taskName(task));
  }

  nextRunAt(task: JobTask): string | null {
    return this.cron().getTask(taskName(task))?.next_run_at ?? null;
  }
}

/** The replication plugin's part inside this project's Durable Object. */
export class EdgeReplicationPart implements DurablePart {
  readonly engine: ReplicationEngine;
  readonly migrations;
  readonly rpc;

  constructor(private readonly host: DurableHost) {
    const cron = () => host.part<CronApi>("cron");
    this.engine = new ReplicationEngine({
      sql: host.sql,
      transaction: (work) => host.storage.transactionSync(work),
      binding: (name) => lookupBinding(host.env, name),
      open: openSource,
      scheduler: new CronJobScheduler(cron),
      lastReadAt: () => host.lastQueryAt(),
    });
    this.migrations = this.engine.migrations;
    this.rpc = this.engine.rpc;
  }

  async onStart(): Promise<void> {
    this.host.part<CronApi>("cron").onEvent(
      async (event) => {
        const task = taskOfName(event.name);
        if (task !== undefined) await this.engine.tick(task);
      },
      { prefix: TASK_PREFIX },
    );
    await this.engine.start();
  }

  readOnlyTables(): Array<[string, string]> {
    return this.engine.readOnlyTables();
  }
}
