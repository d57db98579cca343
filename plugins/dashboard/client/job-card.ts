// One job's card. Built once per job and updated in place on every refresh, so open
// details, focus, selection and scroll position survive.
import { runChart } from "./chart";
import { el, setAttr, setText, show, svg, uid } from "./dom";
import {
  formatBytes,
  formatCount,
  formatMs,
  formatRelative,
  formatSeconds,
  jobMode,
  needsRepair,
  replicaRows,
  runDurationMs,
  runOutcome,
  sourceSummary,
} from "./format";
import { chartScale, drawRunChart } from "./run-chart-view";
import { type SaveSettings, SettingsForm } from "./settings-form";
import type { JobView, RunView, SchemaChange, VerifyResult } from "./types";

export type JobAction = "run" | "pause" | "resume" | "reset" | "verify" | "repair" | "delete";

const STATES = ["idle", "running", "paused", "failing"];

export class JobCard {
  readonly element: HTMLLIElement;
  private job: JobView;
  private runsJson = "";
  private busy = false;
  private readonly parts;

  constructor(
    job: JobView,
    onAction: (card: JobCard, action: JobAction) => void,
    saveSettings: (card: JobCard, body: Record<string, unknown>) => Promise<void>,
  ) {
    this.job = job;
    const titleId = uid("job");
    const stat = (label: string) => {
      const value = el("dd");
      return { row: el("div", { class: "stat" }, [el("dt", {}, [label]), value]), value };
    };
    const rows = stat("Rows in replica");
    const lag = stat("Lag");
    const lastRun = stat("Last run");
    const nextRun = stat("Next run");
    const button = (action: JobAction, text: string, extra = "") => {
      const node = el("button", { type: "button", class: `action ${extra}`.trim(), "data-action": action }, [text]);
      node.addEventListener("click", () => {
        const current = node.dataset.action as JobAction;
        if (!this.busy && node.getAttribute("aria-disabled") !== "true") onAction(this, current);
      });
      return node;
    };
    const chartSvg = svg("svg", { class: "chart", role: "img", focusable: "false" });
    const parts = {
      title: el("h3", { id: titleId }, [job.name]),
      state: el("span", { class: "badge state" }),
      mode: el("span", { class: "badge mode", title: "replication mode" }),
      dialect: el("span", { class: "dialect" }),
      location: el("span"),
      database: el("span"),
      sourceTable: el("code"),
      targetTable: el("code"),
      rows,
      lag,
      lastRun,
      nextRun,
      errorBox: el("div", { class: "error-box" }),
      errorHead: el("p", { class: "error-head" }),
      errorText: el("pre", { class: "error-text" }),
      warnings: el("ul", { class: "warnings" }),
      chartSvg,
      chartScale: el("span", { class: "chart-scale" }),
      chartError: el("p", { class: "inline-error", role: "alert" }),
      verify: el("div", { class: "extra verify" }),
      schema: el("div", { class: "extra schema" }),
      cdc: el("div", { class: "extra cdc" }),
      run: button("run", "Run now", "primary"),
      pause: button("pause", "Pause"),
      verifyButton: button("verify", "Verify"),
      repair: button("repair", "Repair"),
      reset: button("reset", "Reset…"),
      delete: button("delete", "Delete…", "danger"),
      actionStatus: el("p", { class: "action-status", role: "status", "aria-live": "polite" }),
      runsBody: el("tbody"),
      settings: el("dl", { class: "settings" }),
      settingsForm: new SettingsForm(job, ((body) => saveSettings(this, body)) satisfies SaveSettings),
    };
    this.parts = parts;
    parts.errorBox.append(parts.errorHead, parts.errorText);
    const sourceLine = el("p", { class: "source" }, [
      parts.dialect,
      el("span", { class: "sep", "aria-hidden": "true" }, ["·"]),
      parts.location,
      el("span", { class: "sep", "aria-hidden": "true" }, ["·"]),
      parts.database,
      el("span", { class: "sep", "aria-hidden": "true" }, ["·"]),
      parts.sourceTable,
      el("span", { class: "arrow" }, [" → "]),
      parts.targetTable,
    ]);
    const chart = el("figure", { class: "runs-chart" }, [
      el("figcaption", {}, [el("span", { class: "caption" }, ["Run history"]), parts.chartScale]),
      chartSvg,
      el("p", { class: "legend", "aria-hidden": "true" }, [
        el("span", { class: "key key-rows" }, ["rows"]),
        el("span", { class: "key key-duration" }, ["duration"]),
        el("span", { class: "key key-failed" }, ["failed"]),
      ]),
      parts.chartError,
    ]);
    const table = el("div", { class: "table-scroll" }, [
      el("table", { class: "runs" }, [
        el("caption", {}, ["Latest runs, newest first"]),
        el("thead", {}, [
          el(
            "tr",
            {},
            ["#", "Started", "Trigger", "Rows", "Pages", "Duration", "Result"].map((h) =>
              el("th", { scope: "col" }, [h]),
            ),
          ),
        ]),
        parts.runsBody,
      ]),
    ]);
    this.element = el("li", { class: "job", "data-job": job.name }, [
      el("article", { "aria-labelledby": titleId }, [
        el("header", { class: "job-head" }, [parts.title, parts.state, parts.mode]),
        sourceLine,
        el("dl", { class: "stats" }, [rows.row, lag.row, lastRun.row, nextRun.row]),
        parts.errorBox,
        parts.warnings,
        chart,
        parts.verify,
        parts.schema,
        parts.cdc,
        el("div", { class: "actions", role: "group", "aria-label": `Actions for job ${job.name}` }, [
          parts.run,
          parts.pause,
          parts.verifyButton,
          parts.repair,
          parts.reset,
          parts.delete,
        ]),
        parts.actionStatus,
        el("details", { class: "more" }, [
          el("summary", {}, ["Runs and settings"]),
          table,
          parts.settings,
          parts.settingsForm.element,
        ]),
      ]),
    ]);
    this.update(job, Date.now());
  }

  get name(): string {
    return this.job.name;
  }

  get current(): JobView {
    return this.job;
  }

  /** A key that changes when the job's run history may have changed. */
  runsKey(): string {
    const s = this.job.status;
    return [s.state, s.last_run_at, s.rows_synced, s.last_error].join("|");
  }

  update(job: JobView, now: number): void {
    this.job = job;
    const p = this.parts;
    const s = job.status;
    const state = String(s.state);
    setText(p.state, state);
    setAttr(p.state, "class", `badge state state-${STATES.includes(state) ? state : "other"}`);
    setText(p.mode, jobMode(job));
    const source = sourceSummary(job);
    setText(p.dialect, source.dialect);
    setText(p.location, source.location || "—");
    setText(p.database, source.database || "—");
    setText(p.sourceTable, source.table);
    setText(p.targetTable, job.target_table);
    setText(p.rows.value, formatCount(replicaRows(job)));
    setText(p.lag.value, s.lag_seconds === null ? "—" : formatSeconds(s.lag_seconds));
    const asOf = s.synced_as_of ? new Date(s.synced_as_of).toLocaleString() : null;
    setAttr(p.lag.value, "title", asOf && `The replica holds every row the source committed before ${asOf}`);
    setTime(p.lastRun.value, s.last_run_at, now);
    setTime(p.nextRun.value, s.next_run_at, now);

    show(p.errorBox, Boolean(s.last_error));
    if (s.last_error) {
      const failures = s.consecutive_failures ?? 0;
      const retryAt = s.retry_at ? Date.parse(s.retry_at) : NaN;
      const retry = retryAt > now ? `; next try ${formatRelative(s.retry_at, now)}` : "";
      const head =
        state === "failing"
          ? `Failing (${failures} failed run${failures === 1 ? "" : "s"} in a row${retry})`
          : "Last error";
      setText(p.errorHead, head);
      setText(p.errorText, s.last_error);
    }
    const warnings = job.warnings ?? [];
    show(p.warnings, warnings.length > 0);
    syncList(p.warnings, warnings);

    renderVerify(p.verify, s.verify ?? null);
    show(p.repair, needsRepair(s.verify ?? null));
    renderCdc(p.cdc, s.cdc ?? null);
    setText(p.pause, job.active ? "Pause" : "Resume");
    p.pause.dataset.action = job.active ? "pause" : "resume";
    setAttr(p.run, "aria-disabled", state === "running" ? "true" : null);
    setAttr(p.run, "title", state === "running" ? "a run is in progress" : null);
    renderSettings(p.settings, job);
    p.settingsForm.update(job);
  }

  updateRuns(runs: RunView[]): void {
    setText(this.parts.chartError, "");
    show(this.parts.chartError, false);
    const json = JSON.stringify(runs);
    if (json === this.runsJson) return;
    this.runsJson = json;
    const chart = runChart(runs);
    drawRunChart(this.parts.chartSvg, chart);
    setText(this.parts.chartScale, chartScale(chart));
    this.parts.runsBody.replaceChildren(...runs.map(runRow));
    renderSchemaChanges(this.parts.schema, runs);
  }

  runsFailed(message: string): void {
    setText(this.parts.chartError, `Could not load the runs: ${message}`);
    show(this.parts.chartError, true);
  }

  /** While an action runs, the card's buttons ignore clicks (they stay focusable). */
  setBusy(action: JobAction | null, text = ""): void {
    this.busy = action !== null;
    for (const node of this.element.querySelectorAll<HTMLButtonElement>("button.action")) {
      setAttr(node, "aria-busy", node.dataset.action === action ? "true" : null);
    }
    this.element.classList.toggle("busy", this.busy);
    if (action) this.report(text, "pending");
  }

  report(text: string, kind: "ok" | "error" | "pending"): void {
    setText(this.parts.actionStatus, text);
    setAttr(this.parts.actionStatus, "data-kind", kind);
  }
}

function setTime(node: HTMLElement, iso: string | null, now: number): void {
  let time = node.querySelector("time");
  if (!iso) {
    if (time) time.remove();
    setText(node, "—");
    return;
  }
  if (!time) {
    node.textContent = "";
    time = el("time");
    node.append(time);
  }
  setAttr(time, "datetime", iso);
  setAttr(time, "title", iso);
  setText(time, formatRelative(iso, now));
}

function syncList(list: HTMLElement, items: readonly string[]): void {
  const current = [...list.children].map((li) => li.textContent ?? "");
  if (current.length === items.length && current.every((text, i) => text === items[i])) return;
  list.replaceChildren(...items.map((item) => el("li", {}, [item])));
}

function runRow(run: RunView): HTMLTableRowElement {
  const outcome = runOutcome(run);
  const result =
    outcome === "failed"
      ? el("span", { class: "result-failed" }, [`failed: ${run.error}`])
      : el("span", { class: `result-${outcome}` }, [
          outcome === "ok" ? (run.done === false ? "ok, more to copy" : "ok") : "running",
        ]);
  return el("tr", { class: `run-${outcome}` }, [
    el("td", {}, [String(run.id)]),
    el("td", {}, [el("time", { datetime: run.started_at, title: run.started_at }, [shortTime(run.started_at)])]),
    el("td", {}, [run.trigger]),
    el("td", { class: "num" }, [formatCount(run.rows)]),
    el("td", { class: "num" }, [run.pages === undefined ? "—" : formatCount(run.pages)]),
    el("td", { class: "num" }, [formatMs(runDurationMs(run))]),
    el("td", {}, [result]),
  ]);
}

/** "2026-11-24 08:31:47" in UTC, like the server's cron. */
function shortTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "");
}

function renderVerify(target: HTMLElement, verify: VerifyResult | null): void {
  const json = JSON.stringify(verify);
  if (target.dataset.json === json) return;
  target.dataset.json = json;
  show(target, verify !== null);
  if (!verify) return target.replaceChildren();
  const problems = (verify.missing ?? 0) + (verify.extra ?? 0) + (verify.differing ?? 0);
  const figures: Array<[string, string]> = [
    ["source rows", formatCount(verify.source_rows)],
    ["replica rows", formatCount(verify.replica_rows)],
    ["missing", formatCount(verify.missing)],
    ["extra", formatCount(verify.extra)],
    ["differing", formatCount(verify.differing)],
    [
      "repaired",
      verify.repaired === undefined ? "—" : verify.repaired ? (verify.done === false ? "in part" : "yes") : "no",
    ],
    ["compared", verify.compared ?? "hashes"],
    ["took", formatMs(verify.duration_ms)],
  ];
  target.replaceChildren(
    el("h4", {}, [
      "Last verify ",
      el("span", { class: `badge ${problems ? "state-failing" : "state-idle"}` }, [
        problems ? "differences" : "matches",
      ]),
    ]),
    el(
      "dl",
      { class: "figures" },
      figures.map(([k, v]) => el("div", {}, [el("dt", {}, [k]), el("dd", {}, [v])])),
    ),
  );
}

function renderSchemaChanges(target: HTMLElement, runs: readonly RunView[]): void {
  const changes: Array<{ run: RunView; change: SchemaChange }> = [];
  for (const run of runs) for (const change of run.schema_changes ?? []) changes.push({ run, change });
  show(target, changes.length > 0);
  target.replaceChildren(
    ...(changes.length
      ? [
          el("h4", {}, ["Schema changes"]),
          el(
            "ul",
            {},
            changes
              .slice(0, 10)
              .map(({ run, change }) =>
                el("li", {}, [
                  el("code", {}, [change.column]),
                  ` ${change.change}`,
                  change.from || change.to ? ` (${change.from ?? "—"} → ${change.to ?? "—"})` : "",
                  el("span", { class: "muted" }, [` · run ${run.id}, ${shortTime(run.started_at)}`]),
                ]),
              ),
          ),
        ]
      : []),
  );
}

function renderCdc(target: HTMLElement, cdc: JobView["status"]["cdc"] | null): void {
  const json = JSON.stringify(cdc);
  if (target.dataset.json === json) return;
  target.dataset.json = json;
  show(target, cdc !== null);
  if (!cdc) return target.replaceChildren();
  const figures: Array<[string, string]> = [
    ["slot", cdc.slot ?? "—"],
    ["publication", cdc.publication ?? "—"],
    ["confirmed LSN", cdc.confirmed_lsn ?? "—"],
    ["retained WAL", formatBytes(cdc.retained_wal_bytes)],
    ["WAL status", cdc.wal_status ?? "—"],
  ];
  target.replaceChildren(
    el("h4", {}, ["Change data capture"]),
    el(
      "dl",
      { class: "figures" },
      figures.map(([k, v]) => el("div", {}, [el("dt", {}, [k]), el("dd", {}, [v])])),
    ),
  );
}

function renderSettings(target: HTMLElement, job: JobView): void {
  const rows: Array<[string, string]> = [
    ["Tracking column", job.tracking_col === null ? "— (reads changes)" : `${job.tracking_col} (${job.tracking_type})`],
    ["Primary key", job.primary_key.join(", ")],
    ["Schedule (UTC)", job.cron_tab],
    ["Batch size", formatCount(job.batch_size)],
    ["Lookback", formatSeconds(job.lookback_seconds)],
    ["Reconcile (UTC)", job.reconcile_cron ?? "—"],
    ["Soft delete column", job.soft_delete_col ?? "—"],
    ["Columns", job.columns ? job.columns.map((c) => c.name).join(", ") : "—"],
    ["Dropped columns", job.on_column_drop === "drop" ? "dropped from the replica" : "kept in the replica"],
    ["Cursor", job.status.cursor === null || job.status.cursor === undefined ? "—" : JSON.stringify(job.status.cursor)],
    ["Rows written by runs", formatCount(job.status.rows_synced)],
    ["Last success", job.status.last_success_at ?? "—"],
    ["Created", job.created_at],
  ];
  const json = JSON.stringify(rows);
  if (target.dataset.json === json) return;
  target.dataset.json = json;
  target.replaceChildren(...rows.map(([k, v]) => el("div", {}, [el("dt", {}, [k]), el("dd", {}, [v])])));
}
