// "Clear": run task instances again. Airflow's options (downstream is on when tasks
// were chosen, as in Airflow); the list of what will be cleared comes first.
import { html, useState } from "../lib.js";
import { Checkbox, TaskRequestDialog, tasksWords } from "./task_request_dialog.js";

export function ClearDialog({ ns, run, runId, tasks = [], onClose }) {
  const [downstream, setDownstream] = useState(tasks.length > 0);
  const [upstream, setUpstream] = useState(false);
  const [onlyFailed, setOnlyFailed] = useState(false);
  const body = { tasks, downstream, upstream, onlyFailed };
  const options = html`<div class="options" role="group" aria-label="Clear options">
    <${Checkbox} checked=${downstream} onChange=${setDownstream}
      hint="Also clear the tasks after these">Downstream</${Checkbox}>
    <${Checkbox} checked=${upstream} onChange=${setUpstream}
      hint="Also clear the tasks before these">Upstream</${Checkbox}>
    <${Checkbox} checked=${onlyFailed} onChange=${setOnlyFailed}
      hint="Only failed and upstream failed instances">Only failed</${Checkbox}>
  </div>`;
  return html`<${TaskRequestDialog} ns=${ns} run=${run} kind="clear" body=${body}
    title=${html`Clear ${tasksWords(tasks)} <span class="muted">in run</span> <span class="mono" title=${`DagRun ${run}`}>${runId || run}</span>`}
    done="cleared" button="Clear" options=${options} onClose=${onClose} />`;
}
