// The create-job form: reads it into a request body and shows the server's validation
// errors beside the fields they name.
import { type FieldError, fieldErrors } from "./field-errors";
import { ERROR_TARGETS, type FieldValue, jobBody, type ReplicationMode, replicationMode } from "./form-fields";

export type SourceMode = "fields" | "url";

export function sourceMode(form: HTMLFormElement): SourceMode {
  const checked = form.querySelector<HTMLInputElement>('input[name="source-mode"]:checked');
  return checked?.value === "url" ? "url" : "fields";
}

/** Shows the inputs of the chosen way to reach the source; the other group is disabled, so it is neither sent nor tabbed to. */
export function applySourceMode(form: HTMLFormElement): void {
  const mode = sourceMode(form);
  for (const group of form.querySelectorAll<HTMLFieldSetElement>("fieldset[data-source-mode]")) {
    const active = group.dataset.sourceMode === mode;
    group.hidden = !active;
    group.disabled = !active;
  }
}

/** Shows the fields of the chosen replication mode; the others are disabled, so they are neither sent nor tabbed to. */
export function applyReplicationMode(form: HTMLFormElement): void {
  const select = form.querySelector<HTMLSelectElement>('select[name="mode"]');
  const mode: ReplicationMode = replicationMode(select?.value);
  for (const wrapper of form.querySelectorAll<HTMLElement>("[data-modes]")) {
    const active = (wrapper.dataset.modes ?? "").split(" ").includes(mode);
    wrapper.hidden = !active;
    for (const control of wrapper.querySelectorAll<HTMLInputElement | HTMLSelectElement>("input, select")) {
      control.disabled = !active;
    }
  }
}

export function readJobForm(form: HTMLFormElement): Record<string, unknown> {
  const get = (name: string): FieldValue | undefined => {
    const input = [...form.querySelectorAll<HTMLInputElement | HTMLSelectElement>("[name]")].find(
      (node) => node.name === name && !node.closest("fieldset:disabled"),
    );
    if (!input) return undefined;
    return input instanceof HTMLInputElement && input.type === "checkbox" ? input.checked : input.value;
  };
  return jobBody(get, sourceMode(form));
}

export function clearFormErrors(form: HTMLFormElement): void {
  for (const node of form.querySelectorAll<HTMLElement>("[data-error-for]")) {
    node.textContent = "";
    node.hidden = true;
  }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

/** Puts each problem beside its field (the form's own slot for the rest) and focuses the first field named. */
export function showFormErrors(form: HTMLFormElement, message: string): FieldError[] {
  clearFormErrors(form);
  const errors = fieldErrors(message, ERROR_TARGETS);
  let first: HTMLElement | undefined;
  for (const error of errors) {
    const key = error.field ?? "";
    const slots = [...form.querySelectorAll<HTMLElement>("[data-error-for]")].filter(
      (node) => node.dataset.errorFor === key && !node.closest("fieldset:disabled"),
    );
    for (const slot of slots) {
      slot.textContent = error.message;
      slot.hidden = false;
      const input = slot.dataset.errorFor
        ? [...form.querySelectorAll<HTMLElement>("[name]")].find(
            (node) => (node as HTMLInputElement).name === key && !node.closest("fieldset:disabled"),
          )
        : undefined;
      input?.setAttribute("aria-invalid", "true");
      first ??= input ?? slot;
    }
  }
  if (first) {
    first.closest("details")?.setAttribute("open", "");
    if (first.tabIndex < 0 && !first.hasAttribute("tabindex")) first.setAttribute("tabindex", "-1");
    first.focus();
  }
  return errors;
}
