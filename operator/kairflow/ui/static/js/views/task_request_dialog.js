// Airflow's Clear and Mark dialogs, one component: the options, the task instances
// the request acts on (the server's preview, the operator's own selection, asked
// again whenever an option changes), and the button that sends it.
import { html, send, nsPath, enc } from "../lib.js";
import { Buttons, Problem, TaskInstanceList, useAction, usePreview } from "./dialog_parts.js";

function Preview({ state, done }) {
  if (state.error) return html`<${Problem} error=${state.error} />`;
  if (!state.preview) return html`<p class="loading">Finding the task instances…</p>`;
  const { taskInstances, summary, message } = state.preview;
  if (!taskInstances.length) return html`<p class="note" role="status">${message}</p>`;
  return html`<p class="preview-summary" role="status">
    ${summary} will be ${done}:${state.loading ? " (updating…)" : ""}</p>
    <${TaskInstanceList} items=${taskInstances} />`;
}

// `kind` is "clear" or "mark"; `body` the request's fields; `options` the controls;
// `done` what happens to the listed instances ("cleared", "marked failed").
export function TaskRequestDialog({
  ns, run, kind, body, title, done, button, danger, options, onClose,
}) {
  const base = `${nsPath(ns)}/dagruns/${enc(run)}/${kind}`;
  const state = usePreview(`${base}/preview`, body);
  const { busy, error, act } = useAction();
  const ready = state.preview && state.preview.taskInstances.length > 0 && !state.loading;
  const submit = async (event) => {
    event.preventDefault();
    if (await act(() => send("POST", base, body))) onClose();
  };
  return html`<form class="action-dialog task-request" onSubmit=${submit}>
    <h2>${title}</h2>
    ${options}
    <${Preview} state=${state} done=${done} />
    <${Problem} error=${error} />
    <${Buttons} onClose=${onClose}>
      <button type="submit" class=${danger ? "danger" : "primary"} disabled=${!ready || busy}>
        ${busy ? "Working…" : button}</button>
    </${Buttons}>
  </form>`;
}

export function tasksWords(tasks) {
  if (!tasks.length) return "every task";
  if (tasks.length <= 3) return tasks.join(", ");
  return `${tasks.slice(0, 3).join(", ")} and ${tasks.length - 3} more`;
}

export function Checkbox({ checked, onChange, children, hint }) {
  return html`<label class="inline option" title=${hint || ""}>
    <input type="checkbox" checked=${checked} onChange=${(e) => onChange(e.target.checked)} />
    ${children}</label>`;
}
