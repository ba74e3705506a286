// A DAG run beside the grid: its state, dates, conf and message, how its task
// instances stand, and the run's actions (clear, mark, delete) as Airflow offers them.
import { html, between, duration, fullTime } from "../lib.js";
import { openDialog } from "../dialogs.js";
import { STATES, label, stateClass } from "../states.js";
import { stateCounts } from "./grid_model.js";

const counted = new WeakMap();

function countsOf(tis) {
  let found = counted.get(tis);
  if (!found) { found = stateCounts(tis); counted.set(tis, found); }
  return found;
}

export function StatePill({ state }) {
  return html`<span class=${`pill ${stateClass(state)}`}>${label(state)}</span>`;
}

// How many task instances are in each state, as a bar and a legend.
function InstanceSummary({ tis }) {
  const counts = countsOf(tis || {});
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (!total) return html`<p class="muted">No task instances yet.</p>`;
  const order = STATES.filter((s) => counts.get(s));
  return html`<div class="p-summary">
    <div class="p-stack" role="img" aria-label="Task instances by state">${order.map((s) => html`
      <span class=${`p-seg ${stateClass(s)}`} style=${{ flexGrow: counts.get(s) }}></span>`)}</div>
    <div class="p-counts">${order.map((s) => html`
      <span class="p-count"><span class=${`cell ${stateClass(s)}`}></span>${label(s)} <b>${counts.get(s)}</b></span>`)}
      <span class="p-count muted">${total} in all</span></div>
  </div>`;
}

export function Row({ name, children }) {
  return html`<tr><th>${name}</th><td>${children}</td></tr>`;
}

export function RunPanel({ ns, dag, run }) {
  const props = { ns, dag, run: run.name, runId: run.runId };
  const interval = run.dataIntervalStart
    ? `${fullTime(run.dataIntervalStart)} → ${fullTime(run.dataIntervalEnd)}` : "";
  const hasConf = run.conf && Object.keys(run.conf).length > 0;
  return html`<section class="panel run-panel" aria-label="DAG run">
    <header class="p-head">
      <div class="p-kicker">DAG run</div>
      <h2 class="p-title"><span class="mono">${run.runId || run.name}</span> <${StatePill} state=${run.state} /></h2>
      <div class="p-actions">
        <button onClick=${() => openDialog("clear", { ...props, tasks: [] })}>Clear…</button>
        <button onClick=${() => openDialog("mark", { ...props, state: "success" })}>Mark success</button>
        <button onClick=${() => openDialog("mark", { ...props, state: "failed" })}>Mark failed</button>
        <button class="danger-outline" onClick=${() => openDialog("deleteRun", props)}>Delete</button>
      </div>
    </header>
    <${InstanceSummary} tis=${run.tis} />
    ${run.message && html`<p class=${`p-message${run.state === "failed" ? " error" : ""}`}>${run.message}</p>`}
    ${run.tisMissing && html`<p class="p-message error">${run.tisMissing}</p>`}
    <table class="kv p-kv"><tbody>
      <${Row} name="State"><${StatePill} state=${run.state} /><//>
      <${Row} name="Run id"><span class="mono">${run.runId || ""}</span><//>
      <${Row} name="DagRun"><span class="mono">${run.name}</span><//>
      <${Row} name="Run type">${run.runType}${run.backfill ? ` (backfill ${run.backfill})` : ""}<//>
      <${Row} name="Logical date">${fullTime(run.logicalDate)}<//>
      <${Row} name="Data interval">${interval}<//>
      <${Row} name="Queued at">${fullTime(run.queuedAt)}<//>
      <${Row} name="Started">${fullTime(run.startDate)}<//>
      <${Row} name="Ended">${fullTime(run.endDate)}<//>
      <${Row} name="Duration">${run.startDate ? duration(between(run.startDate, run.endDate)) : ""}<//>
      <${Row} name="Progress">${run.progress || ""}<//>
      ${run.dagGeneration !== null && run.dagGeneration !== undefined
        && html`<${Row} name="DAG generation">${String(run.dagGeneration)}<//>`}
    </tbody></table>
    <h3>Conf</h3>
    ${hasConf ? html`<pre class="code p-json">${JSON.stringify(run.conf, null, 2)}</pre>`
      : html`<p class="muted">No conf.</p>`}
  </section>`;
}
