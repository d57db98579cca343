// A job card's settings form (PATCH). Placeholders show the current settings and follow each
// refresh; what the operator typed is left alone until it is saved. The server's validation
// errors appear beside the fields they name.
import { fieldErrors } from "./field-errors";
import { el, setAttr, setText, show, uid } from "./dom";
import { type FieldValue, inMode, type ReplicationMode, replicationMode } from "./form-fields";
import { jobMode } from "./format";
import { SETTING_FIELDS, type SettingField, settingsBody } from "./settings-fields";
import type { JobView } from "./types";

/** Sends the body; throws the server's error (its message names the fields). */
export type SaveSettings = (body: Record<string, unknown>) => Promise<void>;

interface FieldParts {
  spec: SettingField;
  wrapper: HTMLElement;
  control: HTMLInputElement | HTMLSelectElement;
  error: HTMLElement;
  /** The select's first option, "unchanged (now ...)". */
  unchanged?: HTMLOptionElement;
}

export class SettingsForm {
  readonly element: HTMLFormElement;
  private readonly fields: FieldParts[];
  private readonly formError = el("p", { class: "field-error form-error", role: "alert" });
  private readonly status = el("p", { class: "settings-status", role: "status", "aria-live": "polite" });
  private mode: ReplicationMode = "pull";
  private saving = false;

  constructor(job: JobView, save: SaveSettings) {
    this.fields = SETTING_FIELDS.map((spec) => this.field(spec));
    const submit = el("button", { type: "submit" }, ["Save settings"]);
    this.element = el("form", { class: "settings-form", novalidate: "" }, [
      el("h4", {}, ["Change settings"]),
      el("p", { class: "hint" }, ["Fill in only what should change; the grey text is the setting now."]),
      el(
        "div",
        { class: "fields" },
        this.fields.map((f) => f.wrapper),
      ),
      this.formError,
      el("div", { class: "form-actions" }, [submit, this.status]),
    ]);
    show(this.formError, false);
    this.element.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submit(save, submit);
    });
    this.update(job);
  }

  update(job: JobView): void {
    this.mode = replicationMode(jobMode(job));
    for (const f of this.fields) {
      const active = inMode(f.spec, this.mode);
      show(f.wrapper, active);
      f.control.disabled = !active;
      const now = f.spec.current(job);
      if (f.unchanged) setText(f.unchanged, `unchanged (${now})`);
      else setAttr(f.control, "placeholder", now);
    }
  }

  private field(spec: SettingField): FieldParts {
    const id = uid(`setting-${spec.name}`);
    const errorId = `${id}-error`;
    const hintId = `${id}-hint`;
    const described = [spec.hint ? hintId : "", errorId].filter(Boolean).join(" ");
    let control: HTMLInputElement | HTMLSelectElement;
    let unchanged: HTMLOptionElement | undefined;
    if (spec.kind === "select") {
      const options = (spec.options ?? []).map(([value, text]) => el("option", { value }, [text]));
      unchanged = options.find((option) => option.value === "");
      control = el("select", { id, name: spec.name, "aria-describedby": described }, options);
    } else {
      control = el("input", {
        id,
        name: spec.name,
        type: "text",
        autocomplete: "off",
        spellcheck: "false",
        "aria-describedby": described,
        ...(spec.kind === "number" ? { inputmode: "numeric" } : {}),
      });
    }
    const error = el("span", { class: "field-error", id: errorId });
    show(error, false);
    const wrapper = el("div", { class: "field" }, [
      el("div", { class: "label-row" }, [el("label", { for: id }, [spec.label])]),
      control,
      spec.hint ? el("span", { class: "hint", id: hintId }, [spec.hint]) : null,
      error,
    ]);
    return { spec, wrapper, control, error, unchanged };
  }

  private async submit(save: SaveSettings, submit: HTMLButtonElement): Promise<void> {
    if (this.saving) return;
    this.clearErrors();
    const get = (name: string): FieldValue | undefined => this.fields.find((f) => f.spec.name === name)?.control.value;
    const body = settingsBody(get, this.mode);
    if (Object.keys(body).length === 0) {
      this.report("Nothing to save: fill in a setting first.", "error");
      return;
    }
    this.saving = true;
    submit.setAttribute("aria-busy", "true");
    this.report("Saving…", "pending");
    try {
      await save(body);
      for (const f of this.fields) f.control.value = "";
      this.report(`Saved: ${Object.keys(body).join(", ")}.`, "ok");
    } catch (error) {
      this.report("Not saved.", "error");
      this.showErrors(error instanceof Error ? error.message : String(error));
    } finally {
      this.saving = false;
      submit.removeAttribute("aria-busy");
    }
  }

  private showErrors(message: string): void {
    let first: HTMLElement | undefined;
    for (const problem of fieldErrors(
      message,
      this.fields.map((f) => f.spec.name),
    )) {
      const f = this.fields.find((candidate) => candidate.spec.name === problem.field);
      const slot = f?.error ?? this.formError;
      setText(slot, problem.message);
      show(slot, true);
      f?.control.setAttribute("aria-invalid", "true");
      first ??= f?.control;
    }
    first?.focus();
  }

  private clearErrors(): void {
    for (const f of this.fields) {
      setText(f.error, "");
      show(f.error, false);
      f.control.removeAttribute("aria-invalid");
    }
    setText(this.formError, "");
    show(this.formError, false);
  }

  private report(text: string, kind: "ok" | "error" | "pending"): void {
    setText(this.status, text);
    setAttr(this.status, "data-kind", kind);
  }
}
