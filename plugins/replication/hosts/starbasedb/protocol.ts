/**
 * What crosses between the two halves of the StarbaseDB host: the worker-side
 * plugin calls the engine inside the Durable Object through one RPC method that
 * the Durable Object subclass adds to `init()`, and gets back the result with the
 * scheduling the engine asked for, which only the worker can apply (StarbaseDB's
 * CronPlugin lives in the worker and needs the request's host for its callbacks).
 */
import type { ErrorPayload } from "../../../../src/errors";
import type { EngineMethod } from "../../engine/engine";
import type { JobTask } from "../../engine/host";

/** The RPC method `withReplication` adds to the Durable Object's `init()`. */
export const RPC_METHOD = "replication";

/**
 * Engine methods; `tick`: a cron task of a job fired (input: the task's name);
 * `authorize`: a client statement StarbaseDB is about to run (input: `{sql, params}`).
 */
export type CallMethod = EngineMethod | "tick" | "authorize";

export type ScheduleEffect =
  | { type: "schedule"; task: JobTask; cronTab: string; active: boolean }
  | { type: "unschedule"; task: JobTask }
  | { type: "runSoon"; task: JobTask };

export type CallResult =
  | { ok: true; value: unknown; effects: ScheduleEffect[] }
  | { ok: false; error: ErrorPayload; effects: ScheduleEffect[] };

/** The Durable Object's RPC method, as the worker sees it on `dataSource.rpc`. */
export type ReplicationRpc = (method: CallMethod, input: unknown) => Promise<CallResult>;
