/**
 * What the replication engine needs from the host it runs in. Two hosts
 * implement it: this project's (hosts/edge.ts: in-object cron) and StarbaseDB
 * (hosts/starbasedb/: its CronPlugin, reached from the worker). The engine
 * itself always runs inside the Durable Object, next to the SQLite it writes.
 */
import type { openSource } from "../../../src/sources";
import type { BindingLookup } from "./source-config";

export interface ReplicationHost {
  /** The Durable Object's SQLite. */
  readonly sql: SqlStorage;
  /** Runs `work` in one SQLite transaction; a throw rolls it back. Never async inside. */
  transaction<T>(work: () => T): T;
  /** A worker secret or binding by name: `source.secret`, `source.hyperdrive`, the encryption keys. */
  readonly binding: BindingLookup;
  /** Opens a connection to a source (engine/connections.ts decides when it is closed). */
  readonly open: typeof openSource;
  readonly scheduler: JobScheduler;
  /** When the database last answered a read (ms), null before any; absent where the host cannot tell. */
  lastReadAt?(): number | null;
}

/**
 * What a task of a job does when it fires: `sync` copies changes (every job has
 * one); other kinds are optional second tasks of a job (e.g. a reconciliation).
 */
export type TaskKind = "sync" | "reconcile";

/** The host's scheduler, which owns when jobs run; the engine only says what it wants. */
export interface JobScheduler {
  /** Registers a task of the job, or updates it: its cron expression, and whether it fires (paused when not active). */
  schedule(task: JobTask, cronTab: string, active: boolean): void;
  /** Removes a task of the job (nothing when there is none). */
  unschedule(task: JobTask): void;
  /** Asks for a run of the task as soon as possible: a new job's first copy, or the rest of a backlog. */
  runSoon(task: JobTask): void;
  /** When the task's next scheduled run is, if the host knows (ISO 8601). */
  nextRunAt(task: JobTask): string | null;
}

export interface JobTask {
  job: string;
  kind: TaskKind;
}

/** Cron task names of replication jobs start with this, in both hosts. */
export const TASK_PREFIX = "replication:";

/** `replication:<job>` for the sync task, `replication:<job>:<kind>` for the others. */
export function taskName(task: JobTask): string {
  return task.kind === "sync" ? `${TASK_PREFIX}${task.job}` : `${TASK_PREFIX}${task.job}:${task.kind}`;
}

const KINDS: readonly TaskKind[] = ["sync", "reconcile"];

export function taskOfName(name: string): JobTask | undefined {
  if (!name.startsWith(TASK_PREFIX)) return undefined;
  const [job, kind = "sync", ...rest] = name.slice(TASK_PREFIX.length).split(":");
  if (!job || rest.length || !KINDS.includes(kind as TaskKind)) return undefined;
  return { job, kind: kind as TaskKind };
}

export const syncTask = (job: string): JobTask => ({ job, kind: "sync" });
