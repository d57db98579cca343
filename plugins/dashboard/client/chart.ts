// The geometry of a job's run-history chart (no DOM): one slot per run, oldest on the left.
// Rows per run grow up from the middle line, durations grow down from it, both scaled to
// their largest value; failed runs are marked across the whole height.
import { formatCount, formatMs, runDurationMs, type RunOutcome, runOutcome } from "./format";
import type { RunView } from "./types";

/** The API answers up to the last 50 runs; the chart always has room for that many. */
export const CHART_SLOTS = 50;
const SLOT = 4;
const BAR = 3;
const BAND = 30;
const GAP = 4;
export const CHART_WIDTH = CHART_SLOTS * SLOT;
export const CHART_HEIGHT = 2 * BAND + GAP;
/** y of the line rows grow up from; durations grow down from `DURATION_TOP`. */
export const ROWS_BASE = BAND;
export const DURATION_TOP = BAND + GAP;

export interface ChartBar {
  runId: number;
  x: number;
  width: number;
  rowsHeight: number;
  durationHeight: number;
  outcome: RunOutcome;
  /** What the bar shows, in words (a tooltip). */
  label: string;
}

export interface RunChart {
  bars: ChartBar[];
  maxRows: number;
  maxMs: number;
  failed: number;
  /** The whole chart in one sentence, for screen readers. */
  summary: string;
}

/** `runs` newest first, as the API lists them; only the newest CHART_SLOTS are drawn. */
export function runChart(runs: readonly RunView[]): RunChart {
  const shown = runs.slice(0, CHART_SLOTS).reverse();
  const maxRows = Math.max(0, ...shown.map((r) => r.rows));
  const maxMs = Math.max(0, ...shown.map((r) => runDurationMs(r) ?? 0));
  const firstSlot = CHART_SLOTS - shown.length;
  const bars = shown.map((run, i) => {
    const ms = runDurationMs(run);
    return {
      runId: run.id,
      x: (firstSlot + i) * SLOT,
      width: BAR,
      rowsHeight: scaled(run.rows, maxRows),
      durationHeight: scaled(ms ?? 0, maxMs),
      outcome: runOutcome(run),
      label: runLabel(run, ms),
    };
  });
  const failed = bars.filter((b) => b.outcome === "failed").length;
  const summary = shown.length
    ? `Last ${shown.length} run${shown.length === 1 ? "" : "s"}, oldest first: ${failed} failed; ` +
      `at most ${formatCount(maxRows)} rows and ${formatMs(maxMs)} per run.`
    : "No runs yet.";
  return { bars, maxRows, maxMs, failed, summary };
}

/** Linear, but a non-zero value stays visible. */
function scaled(value: number, max: number): number {
  if (value <= 0 || max <= 0) return 0;
  return Math.max(1, (value / max) * BAND);
}

function runLabel(run: RunView, ms: number | null): string {
  const head = `Run ${run.id} (${run.trigger}) at ${run.started_at}: ${formatCount(run.rows)} rows`;
  const outcome = runOutcome(run);
  if (outcome === "running") return `${head}, running`;
  const tail = ` in ${formatMs(ms)}`;
  return outcome === "failed" ? `${head}${tail}, failed: ${run.error}` : `${head}${tail}`;
}
