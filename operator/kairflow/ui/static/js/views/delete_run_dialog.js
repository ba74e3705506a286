// Delete a DAG run (`kairflow runs delete`): its pods, and so their logs, go with it.
import { html, send, nsPath, enc } from "../lib.js";
import { Buttons, Problem, go, useAction } from "./dialog_parts.js";

export function DeleteRunDialog({ ns, run, runId, onClose }) {
  const { busy, error, act } = useAction();
  const submit = async (event) => {
    event.preventDefault();
    const deleted = await act(() => send("DELETE", `${nsPath(ns)}/dagruns/${enc(run)}`));
    if (deleted) {
      onClose();
      if (deleted.dag) go(`#/ns/${enc(ns)}/dags/${enc(deleted.dag)}/grid`);
    }
  };
  return html`<form class="action-dialog delete-run" onSubmit=${submit}>
    <h2>Delete run <span class="mono" title=${`DagRun ${run}`}>${runId || run}</span>?</h2>
    <p>The DagRun <span class="mono">${run}</span>, its task instances and their pods are
      deleted, and the pods' logs with them. This cannot be undone.</p>
    <${Problem} error=${error} />
    <${Buttons} onClose=${onClose}>
      <button type="submit" class="danger" disabled=${busy}>${busy ? "Deleting…" : "Delete run"}</button>
    </${Buttons}>
  </form>`;
}
