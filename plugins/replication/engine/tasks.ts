/** A job's cron tasks: `sync` always, `reconcile` when the job has a reconcile_cron. */
import { ValidationError } from "../../../src/errors";
import { validateCronExpression } from "../../cron/expression";
import { type JobScheduler, type JobTask, syncTask } from "./host";
import type { JobSettings } from "./settings";

export const reconcileTask = (job: string): JobTask => ({ job, kind: "reconcile" });

/** Puts every task of the job on the schedule as its settings say (a null reconcile_cron removes that task). */
export function scheduleTasks(scheduler: JobScheduler, settings: JobSettings): void {
  scheduler.schedule(syncTask(settings.name), settings.cron_tab, settings.active);
  if (settings.reconcile_cron) {
    scheduler.schedule(reconcileTask(settings.name), settings.reconcile_cron, settings.active);
  } else {
    scheduler.unschedule(reconcileTask(settings.name));
  }
}

export function unscheduleTasks(scheduler: JobScheduler, job: string): void {
  scheduler.unschedule(syncTask(job));
  scheduler.unschedule(reconcileTask(job));
}

/** A given reconcile_cron, normalized; a ValidationError naming the field when it is malformed. */
export function checkReconcileCron(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  try {
    return validateCronExpression(value);
  } catch (error) {
    throw new ValidationError(`reconcile_cron: ${error instanceof Error ? error.message : String(error)}`);
  }
}
