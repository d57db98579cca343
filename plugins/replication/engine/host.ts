/**
 * What the replication engine needs from the host it runs in. Two hosts
 * implement it: this project's (hosts/edge.ts: in-object cron) and StarbaseDB
 * (hosts/starbasedb/: its CronPlugin, reached from the worker). The engine
 * itself always runs inside the Durable Object, next to the SQLite it writes.
 */
import type { withSource } from "../../../src/sources";
import type { BindingLookup } from "./source-config";

export interface ReplicationHost {
  /** The Durable Object's SQLite. */
  readonly sql: SqlStorage;
  /** Runs `work` in one SQLite transaction; a throw rolls it back. Never async inside. */
  transaction<T>(work: () => T): T;
  /** A worker secret or binding by name: `source.secret`, `source.hyperdrive`, the encryption keys. */
  readonly binding: BindingLookup;
  /** Opens a connection to a source, runs `work` on it and always closes it. */
  readonly connect: typeof withSource;
  readonly scheduler: JobScheduler;
}

/** The host's scheduler, which owns when jobs run; the engine only says what it wants. */
export interface JobScheduler {
  /** Registers the job's task, or updates it: its cron expression, and whether it fires (paused when not active). */
  schedule(job: string, cronTab: string, active: boolean): void;
  /** Removes the job's task. */
  unschedule(job: string): void;
  /** Asks for a run as soon as possible: a new job's first copy, or the rest of a backlog. */
  runSoon(job: string): void;
  /** When the job's next scheduled run is, if the host knows (ISO 8601). */
  nextRunAt(job: string): string | null;
}

/** Cron task names of replication jobs start with this, in both hosts. */
export const TASK_PREFIX = "replication:";

export const taskName = (job: string) => `${TASK_PREFIX}${job}`;

export function jobOfTask(task: string): string | undefined {
  return task.startsWith(TASK_PREFIX) ? task.slice(TASK_PREFIX.length) : undefined;
}
