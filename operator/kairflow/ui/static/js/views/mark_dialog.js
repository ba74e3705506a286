// "Mark success / failed": set task instances' state by hand (no tasks: every task of
// the run). The core marks the named tasks only, so there are no upstream/downstream
// options here; the list of what will be marked comes first.
import { html } from "../lib.js";
import { label } from "../states.js";
import { TaskRequestDialog, tasksWords } from "./task_request_dialog.js";

export function MarkDialog({ ns, run, runId, tasks = [], state = "success", onClose }) {
  const body = { tasks: tasks.length ? tasks : ["*"], state };
  return html`<${TaskRequestDialog} ns=${ns} run=${run} kind="mark" body=${body}
    title=${html`Mark ${tasksWords(tasks)} <span class=${`pill st-${state}`}>${label(state)}</span>${" "}<span
      class="muted">in run</span> <span class="mono" title=${`DagRun ${run}`}>${runId || run}</span>`}
    done=${`marked ${label(state)}`} button=${`Mark ${label(state)}`}
    danger=${state === "failed"} options=${null} onClose=${onClose} />`;
}
