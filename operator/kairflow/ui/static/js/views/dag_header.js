// The DAG page's header: name, on/off toggle, schedule in words, next run, tags,
// the DAG's problem when it is not Ready, and its actions (trigger, backfill).
import { html, shortTime } from "../lib.js";
import { openDialog } from "../dialogs.js";
import { PauseToggle } from "./pause.js";

export function DagHeader({ ns, dag, live, detail }) {
  const dagInfo = live || detail;
  if (!dagInfo) return html`<h1 class="dag-title">${dag}</h1>`;
  const problem = dagInfo.ready && dagInfo.ready.status !== "True"
    ? (dagInfo.ready.message || dagInfo.ready.reason) : null;
  return html`<div class="dag-header">
    <h1 class="dag-title"><${PauseToggle} ns=${ns} dag=${dagInfo} /> ${dag}</h1>
    <div class="facts">
      <span title=${dagInfo.schedule || "None"}>Schedule: <b>${dagInfo.scheduleWords}</b></span>
      ${!dagInfo.paused && dagInfo.nextRun && dagInfo.nextRun.logicalDate && html`
        <span>Next run: <b>${shortTime(dagInfo.nextRun.logicalDate)}</b></span>`}
      ${dagInfo.owners && dagInfo.owners.length > 0 && html`<span>Owner: ${dagInfo.owners.join(", ")}</span>`}
      ${dagInfo.tags.map((t) => html`<span class="tag">${t}</span>`)}
    </div>
    <div class="actions">
      <button class="primary" onClick=${() => openDialog("trigger", { ns, dag })}
        title="Trigger a run now, with conf">▶ Trigger</button>
      <button onClick=${() => openDialog("backfill", { ns, dag })}
        title="Run the DAG over past dates">Backfill…</button>
    </div>
    ${problem && html`<p class="problem" role="note">Not ready: ${problem}</p>`}
    ${dagInfo.description && html`<p class="desc">${dagInfo.description}</p>`}
  </div>`;
}
