// Stop a backfill (`kairflow backfill delete`): the Backfill is deleted, so no more of
// its runs start; the runs it made belong to the DAG and stay (those in flight run
// to the end).
import { html, send, nsPath, enc } from "../lib.js";
import { Buttons, Problem, useAction } from "./dialog_parts.js";

export function StopBackfillDialog({ ns, backfill, finished = false, onClose }) {
  const { busy, error, act } = useAction();
  const submit = async (event) => {
    event.preventDefault();
    if (await act(() => send("DELETE", `${nsPath(ns)}/backfills/${enc(backfill)}`))) onClose();
  };
  const verb = finished ? "Delete" : "Stop";
  return html`<form class="action-dialog stop-backfill" onSubmit=${submit}>
    <h2>${verb} backfill <span class="mono">${backfill}</span>?</h2>
    <p>${finished ? "The Backfill is deleted." : "The Backfill is deleted, so none of its runs still to start will start."}
      The runs it made stay: they belong to the DAG${finished ? "" : ", and those in flight run to the end"}.</p>
    <${Problem} error=${error} />
    <${Buttons} onClose=${onClose}>
      <button type="submit" class="danger" disabled=${busy}>
        ${busy ? "Working…" : `${verb} backfill`}</button>
    </${Buttons}>
  </form>`;
}
