// The dashboard's HTML: a static shell with no data. The script fills it in with the
// admin token the user gives; the create form is rendered from client/form-fields.ts.
import { FORM_GROUPS, type FormField, type FormGroup } from "./client/form-fields";

const esc = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function field(group: FormGroup, spec: FormField): string {
  const id = `f-${group.id}-${spec.name.replace(/\W/g, "-")}`;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const optionalId = `${id}-optional`;
  const optional =
    spec.required || spec.kind === "checkbox" ? "" : `<span class="optional" id="${optionalId}">optional</span>`;
  const described = [optional ? optionalId : "", spec.hint ? hintId : "", errorId].filter(Boolean).join(" ");
  const common = `id="${id}" name="${esc(spec.name)}" aria-describedby="${described}"${spec.required ? ' aria-required="true"' : ""}`;
  const hint = spec.hint ? `<span class="hint" id="${hintId}">${esc(spec.hint)}</span>` : "";
  const error = `<span class="field-error" id="${errorId}" data-error-for="${esc(spec.name)}" hidden></span>`;
  const modes = spec.modes ? ` data-modes="${spec.modes.join(" ")}"` : "";
  if (spec.kind === "checkbox") {
    return `<div class="field check"${modes}><input type="checkbox" ${common}${spec.value ? " checked" : ""}><label for="${id}">${esc(spec.label)}</label>${hint}${error}</div>`;
  }
  const label = `<div class="label-row"><label for="${id}">${esc(spec.label)}</label>${optional}</div>`;
  let control: string;
  if (spec.kind === "select") {
    const options = (spec.options ?? [])
      .map(([value, text]) => `<option value="${esc(value)}">${esc(text)}</option>`)
      .join("");
    control = `<select ${common}>${options}</select>`;
  } else {
    const type = spec.kind === "password" ? "password" : "text";
    const attrs = [
      `type="${type}"`,
      spec.kind === "number" ? 'inputmode="numeric"' : "",
      spec.placeholder ? `placeholder="${esc(spec.placeholder)}"` : "",
      spec.value ? `value="${esc(spec.value)}"` : "",
      'autocomplete="off" spellcheck="false"',
    ];
    control = `<input ${attrs.filter(Boolean).join(" ")} ${common}>`;
  }
  return `<div class="field"${modes}>${label}${control}${hint}${error}</div>`;
}

function group(spec: FormGroup): string {
  const mode = spec.sourceMode ? ` data-source-mode="${spec.sourceMode}"` : "";
  const extra =
    spec.id === "job"
      ? `<fieldset class="choice"><legend>Connect with</legend>
          <label><input type="radio" name="source-mode" value="fields" checked> host and credentials</label>
          <label><input type="radio" name="source-mode" value="url"> a connection URL</label>
        </fieldset>
        <span class="field-error wide" data-error-for="source" hidden></span>`
      : "";
  return `<fieldset class="group" id="group-${spec.id}"${mode}><legend>${esc(spec.legend)}</legend>
    <div class="fields">${spec.fields.map((f) => field(spec, f)).join("")}${extra}</div></fieldset>`;
}

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Replication dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/app.css">
<script type="module" src="/dashboard/app.js"></script>
</head>
<body>
<header class="topbar">
  <div class="brand"><h1>Replication</h1><span class="product">starbase-edge-replica</span></div>
  <div class="session" id="session" hidden>
    <span id="updated" class="updated"></span>
    <button type="button" id="sign-out">Sign out</button>
  </div>
</header>
<main>
  <noscript><p class="banner">This page needs JavaScript.</p></noscript>
  <section id="login" class="panel login" aria-labelledby="login-title" hidden>
    <h2 id="login-title">Sign in</h2>
    <p>The dashboard calls the API with the admin token (<code>ADMIN_AUTHORIZATION_TOKEN</code>).
    It is kept in this browser tab only, until you sign out or close the tab.</p>
    <form id="login-form" novalidate>
      <label for="token">Admin token</label>
      <div class="inline">
        <input id="token" name="token" type="password" autocomplete="current-password" spellcheck="false" aria-describedby="login-error">
        <button type="submit" class="primary">Open dashboard</button>
      </div>
      <p id="login-error" class="error-text" role="alert" hidden></p>
    </form>
  </section>
  <div id="app" hidden>
    <p id="banner" class="banner" role="alert" hidden></p>
    <p id="notice" class="notice" role="status"></p>
    <section class="jobs-section" aria-labelledby="jobs-title">
      <div class="section-head">
        <h2 id="jobs-title">Jobs</h2>
        <p id="summary" class="summary"></p>
      </div>
      <p id="no-jobs" class="empty" hidden>No replication jobs yet. Create one below.</p>
      <ul id="jobs" class="jobs"></ul>
    </section>
    <details id="create" class="panel create">
      <summary><h2>New job</h2></summary>
      <form id="create-form" novalidate>
        ${FORM_GROUPS.map(group).join("\n")}
        <p class="field-error form-error" data-error-for="" role="alert" hidden></p>
        <div class="form-actions">
          <button type="submit" class="primary">Create job</button>
          <p id="create-status" class="action-status" role="status" aria-live="polite"></p>
        </div>
      </form>
    </details>
  </div>
</main>
<dialog id="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-message">
  <form method="dialog">
    <h2 id="confirm-title"></h2>
    <p id="confirm-message"></p>
    <p id="confirm-option-row" class="check"><input type="checkbox" id="confirm-option"><label for="confirm-option" id="confirm-option-label"></label></p>
    <div class="dialog-actions">
      <button value="cancel" id="confirm-cancel">Cancel</button>
      <button value="confirm" id="confirm-ok" class="danger"></button>
    </div>
  </form>
</dialog>
</body>
</html>
`;
