// The dashboard: asks for the admin token, then lists the replication jobs and refreshes
// them in place every few seconds. Every API error is shown; a refused token asks again.
import { type Api, ApiError, apiClient, jobPath } from "./api";
import { confirmDialog } from "./confirm-dialog";
import { applyReplicationMode, applySourceMode, clearFormErrors, readJobForm, showFormErrors } from "./create-form";
import { byId, setText, show } from "./dom";
import { formatCount, formatMs } from "./format";
import { type JobAction, JobCard } from "./job-card";
import { forgetToken, storedToken, storeToken, takeTokenFromFragment } from "./token";
import type { JobView, RunView, VerifyResult } from "./types";

const REFRESH_MS = 5_000;

class Dashboard {
  private readonly api: Api = apiClient(storedToken);
  private readonly cards = new Map<string, JobCard>();
  private readonly runsKeys = new Map<string, string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;

  start(): void {
    const fromLink = takeTokenFromFragment();
    if (fromLink) storeToken(fromLink);
    byId<HTMLFormElement>("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = byId<HTMLInputElement>("token");
      const token = input.value.trim();
      if (!token) return this.askForToken("Enter the admin token.");
      storeToken(token);
      input.value = "";
      this.open();
    });
    byId("sign-out").addEventListener("click", () => this.askForToken("Signed out."));
    this.wireCreateForm();
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && storedToken()) void this.refresh();
    });
    if (storedToken()) this.open();
    else this.askForToken("");
  }

  /** Forgets the token and every job shown, and asks for a token. */
  private askForToken(message: string): void {
    forgetToken();
    this.generation++;
    clearTimeout(this.timer);
    for (const card of this.cards.values()) card.element.remove();
    this.cards.clear();
    this.runsKeys.clear();
    show(byId("app"), false);
    show(byId("session"), false);
    show(byId("login"), true);
    const error = byId("login-error");
    setText(error, message);
    show(error, message !== "");
    byId("token").focus();
  }

  private open(): void {
    show(byId("login"), false);
    show(byId("app"), true);
    show(byId("session"), true);
    setText(byId("updated"), "loading…");
    void this.refresh();
  }

  /** Loads the jobs and updates the page in place; schedules the next refresh. */
  async refresh(): Promise<void> {
    clearTimeout(this.timer);
    const generation = this.generation;
    try {
      const jobs = await this.api<JobView[]>("GET", "/replication/jobs");
      if (generation !== this.generation) return; // signed out meanwhile
      this.render(jobs);
      show(byId("banner"), false);
      setText(byId("updated"), `updated ${new Date().toLocaleTimeString()}`);
    } catch (error) {
      if (generation !== this.generation) return;
      if (!this.handleAuth(error))
        this.banner(`Could not load the jobs: ${messageOf(error)}. Retrying every ${REFRESH_MS / 1000} s.`);
    }
    if (generation === this.generation && storedToken()) {
      this.timer = setTimeout(() => void this.refresh(), REFRESH_MS);
    }
  }

  private render(jobs: JobView[]): void {
    const list = byId<HTMLUListElement>("jobs");
    const now = Date.now();
    const seen = new Set<string>();
    jobs.forEach((job, index) => {
      seen.add(job.name);
      let card = this.cards.get(job.name);
      if (card) card.update(job, now);
      else {
        card = new JobCard(
          job,
          (c, action) => void this.act(c, action),
          (c, body) => this.saveSettings(c, body),
        );
        this.cards.set(job.name, card);
      }
      if (list.children[index] !== card.element) list.insertBefore(card.element, list.children[index] ?? null);
      const key = card.runsKey();
      if (this.runsKeys.get(job.name) !== key) {
        this.runsKeys.set(job.name, key);
        void this.loadRuns(card);
      }
    });
    for (const [name, card] of this.cards) {
      if (seen.has(name)) continue;
      card.element.remove();
      this.cards.delete(name);
      this.runsKeys.delete(name);
    }
    show(byId("no-jobs"), jobs.length === 0);
    if (jobs.length === 0) byId("create").setAttribute("open", "");
    setText(byId("summary"), summary(jobs));
  }

  private async loadRuns(card: JobCard): Promise<void> {
    try {
      card.updateRuns(await this.api<RunView[]>("GET", jobPath(card.name, "/runs")));
    } catch (error) {
      if (!this.handleAuth(error)) {
        this.runsKeys.delete(card.name); // try again on the next refresh
        card.runsFailed(messageOf(error));
      }
    }
  }

  /** PATCH from a card's settings form; errors go back to the form (a refused token also asks again). */
  private async saveSettings(card: JobCard, body: Record<string, unknown>): Promise<void> {
    try {
      await this.api<unknown>("PATCH", jobPath(card.name), body);
    } catch (error) {
      this.handleAuth(error);
      throw error;
    }
    void this.refresh();
  }

  private async act(card: JobCard, action: JobAction): Promise<void> {
    const name = card.name;
    let path = jobPath(name, action === "repair" ? "/verify?repair=true" : `/${action}`);
    let method = "POST";
    if (action === "reset") {
      const answer = await confirmDialog({
        title: `Reset job ${name}?`,
        message: "Its cursor goes back to the start: the next run copies the whole table again.",
        option: `Also empty the replica table ${card.current.target_table} first`,
        confirm: "Reset",
      });
      if (!answer.confirmed) return;
      if (answer.option) path += "?truncate=true";
    } else if (action === "delete") {
      const answer = await confirmDialog({
        title: `Delete job ${name}?`,
        message: "The job, its schedule and its run history are removed.",
        option: `Also drop the replica table ${card.current.target_table} and its rows`,
        confirm: "Delete job",
      });
      if (!answer.confirmed) return;
      method = "DELETE";
      path = jobPath(name) + (answer.option ? "?drop_table=true" : "");
    }
    card.setBusy(action, PENDING[action]);
    try {
      const result = await this.api<unknown>(method, path);
      card.report(done(action, result), "ok");
      if (action === "delete")
        this.notice(`Deleted job ${name}${path.includes("drop_table") ? " and dropped its table" : ""}.`);
    } catch (error) {
      if (!this.handleAuth(error)) card.report(`${LABEL[action]} failed: ${messageOf(error)}`, "error");
    } finally {
      card.setBusy(null);
    }
    void this.refresh();
  }

  private wireCreateForm(): void {
    const form = byId<HTMLFormElement>("create-form");
    const status = byId("create-status");
    for (const radio of form.querySelectorAll('input[name="source-mode"]')) {
      radio.addEventListener("change", () => applySourceMode(form));
    }
    applySourceMode(form);
    form.querySelector('select[name="mode"]')?.addEventListener("change", () => applyReplicationMode(form));
    applyReplicationMode(form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
      if (submit.getAttribute("aria-busy") === "true") return;
      clearFormErrors(form);
      submit.setAttribute("aria-busy", "true");
      setText(status, "Checking the source and creating the job…");
      status.dataset.kind = "pending";
      try {
        const job = await this.api<JobView>("POST", "/replication/jobs", readJobForm(form));
        setText(status, `Created job ${job.name}; it starts copying ${job.active ? "now" : "when resumed"}.`);
        status.dataset.kind = "ok";
        form.reset();
        applySourceMode(form);
        applyReplicationMode(form);
        void this.refresh();
      } catch (error) {
        if (this.handleAuth(error)) return;
        setText(
          status,
          `The job was not created (${error instanceof ApiError && error.status ? error.status : "no answer"}).`,
        );
        status.dataset.kind = "error";
        showFormErrors(form, error instanceof Error ? error.message : String(error));
      } finally {
        submit.removeAttribute("aria-busy");
      }
    });
  }

  /** 401 and 403 mean the token is wrong for this page: ask again. */
  private handleAuth(error: unknown): boolean {
    if (!(error instanceof ApiError) || !error.isAuth) return false;
    this.askForToken(
      error.status === 401
        ? "The server refused this token (401). Enter the admin token."
        : "This token may not manage replication (403): enter the admin token, not the client token.",
    );
    return true;
  }

  private banner(text: string): void {
    const node = byId("banner");
    setText(node, text);
    show(node, true);
  }

  private notice(text: string): void {
    setText(byId("notice"), text);
  }
}

const LABEL: Record<JobAction, string> = {
  run: "Run",
  pause: "Pause",
  resume: "Resume",
  reset: "Reset",
  verify: "Verify",
  repair: "Repair",
  delete: "Delete",
};

const PENDING: Record<JobAction, string> = {
  run: "Running…",
  pause: "Pausing…",
  resume: "Resuming…",
  reset: "Resetting…",
  verify: "Verifying against the source…",
  repair: "Repairing from the source…",
  delete: "Deleting…",
};

function done(action: JobAction, result: unknown): string {
  const r = (result ?? {}) as Record<string, unknown>;
  switch (action) {
    case "run": {
      const more = r.done === false ? "; more to copy, it continues on its own" : "";
      return `Run finished: ${formatCount(r.rows as number)} rows in ${formatMs(r.duration_ms as number)}${more}.`;
    }
    case "verify":
    case "repair": {
      const v = r as VerifyResult;
      return (
        `Verify: ${formatCount(v.source_rows)} source rows, ${formatCount(v.replica_rows)} in the replica; ` +
        `${formatCount(v.missing)} missing, ${formatCount(v.extra)} extra, ${formatCount(v.differing)} differing` +
        (v.repaired ? (v.done === false ? "; repaired in part, verify again to go on." : "; repaired.") : ".")
      );
    }
    case "pause":
      return "Paused: it runs only when you press Run now.";
    case "resume":
      return "Resumed: back on its schedule.";
    case "reset":
      return "Reset: the next run copies from the start.";
    case "delete":
      return "Deleted.";
  }
}

function summary(jobs: readonly JobView[]): string {
  if (!jobs.length) return "";
  const count = (state: string) => jobs.filter((j) => j.status.state === state).length;
  const parts = [`${jobs.length} job${jobs.length === 1 ? "" : "s"}`];
  for (const state of ["failing", "running", "paused"]) if (count(state)) parts.push(`${count(state)} ${state}`);
  return parts.join(" · ");
}

function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.status ? `${error.message} (${error.status})` : error.message;
  return error instanceof Error ? error.message : String(error);
}

new Dashboard().start();
