// The panel beside the grid: the selected task instance, mapped task, group or run,
// or, with nothing selected, how to select one.
import { html, useEffect, useRef, between, duration } from "../lib.js";
import { openDialog } from "../dialogs.js";
import { label } from "../states.js";
import { Row, RunPanel, StatePill } from "./run_panel.js";
import { TiPanel } from "./ti_panel.js";
import { STATE, TRY, groupInstanceKeys } from "./grid_model.js";

const LISTED = 500;

// Instances with their states, each a button that selects it.
function InstanceList({ keys, tis, go, labelOf }) {
  return html`<ul class="p-list">${keys.slice(0, LISTED).map((key) => html`
    <li key=${key}><button class="p-item" onClick=${() => go({ task: key })}>
      <span class=${`cell st-${tis[key][STATE] || "none"}`}></span>
      <span class="mono">${labelOf(key)}</span>
      <span class="muted">${label(tis[key][STATE])}${tis[key][TRY] > 1 ? ` · try ${tis[key][TRY]}` : ""}</span>
    </button></li>`)}
    ${keys.length > LISTED && html`<li class="muted">…and ${keys.length - LISTED} more</li>`}</ul>`;
}

function Heading({ kicker, title, state, run, go }) {
  return html`<div class="p-kicker">${kicker}</div>
    <h2 class="p-title"><span class="mono p-key">${title}</span>${state && html` <${StatePill} state=${state} />`}</h2>
    <div class="p-sub">in run <button class="link" onClick=${() => go({ task: null })}>${run.runId || run.name}</button></div>`;
}

// A mapped task in one run: Airflow's "Mapped instances" list.
function MappedPanel({ ns, dag, run, name, indexer, go }) {
  const tis = run.tis || {};
  const found = indexer.mappedCell(tis, name);
  const keys = (indexer.index(tis).mapped.get(name) || []).filter(Boolean);
  const props = { ns, dag, run: run.name, runId: run.runId };
  return html`<section class="panel mapped-panel" aria-label="Mapped task">
    <header class="p-head">
      <${Heading} kicker="Mapped task" title=${name} state=${found && found.state} run=${run} go=${go} />
      <div class="p-actions">
        <button onClick=${() => openDialog("clear", { ...props, tasks: keys.length ? keys : [name] })}>Clear…</button>
        <button onClick=${() => openDialog("mark", { ...props, tasks: keys.length ? keys : [name], state: "success" })}>Mark success</button>
        <button onClick=${() => openDialog("mark", { ...props, tasks: keys.length ? keys : [name], state: "failed" })}>Mark failed</button>
      </div>
    </header>
    ${keys.length ? html`<h3>${keys.length} mapped instances</h3>
      <${InstanceList} keys=${keys} tis=${tis} go=${go} labelOf=${(key) => key.slice(name.length)} />`
      : tis[name] ? html`<${TiPanel} ns=${ns} dag=${dag} run=${run} taskKey=${name} go=${go} />`
      : html`<p class="muted">Not expanded in this run yet: its upstream task has not pushed its list.</p>`}
  </section>`;
}

// A task group in one run: its summary state and each of its task instances.
function GroupPanel({ ns, dag, run, group, shape, indexer, go }) {
  const tis = run.tis || {};
  const keys = groupInstanceKeys(indexer, shape, tis, group);
  const state = indexer.groupState(tis, group);
  // A group of the spec is cleared or marked by its id, as Airflow's clear of a
  // TaskGroup (mapped instances included); groups read from dotted names by their keys.
  const tasks = shape.specGroups.has(group) ? [group] : keys;
  const props = { ns, dag, run: run.name, runId: run.runId, tasks };
  return html`<section class="panel group-panel" aria-label="Task group">
    <header class="p-head">
      <${Heading} kicker="Task group" title=${group} state=${state} run=${run} go=${go} />
      ${keys.length > 0 && html`<div class="p-actions">
        <button onClick=${() => openDialog("clear", props)}>Clear…</button>
        <button onClick=${() => openDialog("mark", { ...props, state: "success" })}>Mark success</button>
        <button onClick=${() => openDialog("mark", { ...props, state: "failed" })}>Mark failed</button>
      </div>`}
    </header>
    <h3>${keys.length} task instances</h3>
    <${InstanceList} keys=${keys} tis=${tis} go=${go}
      labelOf=${(key) => (key.startsWith(`${group}.`) ? key.slice(group.length + 1) : key)} />
  </section>`;
}

// With nothing selected, Airflow's DAG summary: how the shown runs went and how long
// they took.
function DagSummary({ runs, params, detail }) {
  const limit = Math.max(1, Number(params.num_runs) || 25);
  const shown = runs.slice(0, limit);
  const counts = new Map();
  for (const run of shown) counts.set(run.state, (counts.get(run.state) || 0) + 1);
  const took = shown.filter((r) => r.startDate && r.endDate).map((r) => between(r.startDate, r.endDate))
    .sort((a, b) => a - b);
  const tasks = detail && detail.structure ? detail.structure.tasks.length : null;
  return html`<section class="panel hint-panel" aria-label="DAG summary">
    <header class="p-head">
      <div class="p-kicker">DAG</div>
      <h2 class="p-title">${shown.length > 1 ? `The last ${shown.length} runs` : shown.length ? "The last run" : "No runs yet"}</h2>
    </header>
    ${shown.length > 0 && html`<div class="p-counts">${[...counts].map(([state, n]) => html`
      <span class="p-count"><span class=${`cell st-${state || "none"}`}></span>${label(state)} <b>${n}</b></span>`)}</div>
    <table class="kv p-kv"><tbody>
      ${tasks !== null && html`<${Row} name="Tasks">${String(tasks)}<//>`}
      ${took.length > 0 && html`<${Row} name="Run duration">
        ${duration(took[0])} min · ${duration(took[Math.floor(took.length / 2)])} median · ${duration(took[took.length - 1])} max<//>`}
      <${Row} name="Latest run">${shown[0].runId || shown[0].name} <${StatePill} state=${shown[0].state} /><//>
    </tbody></table>`}
    <p class="muted p-hint">Click a cell for its task instance (state, tries, times, command,
      XCom and log), a bar for its DAG run. Arrow keys move the selection; Escape clears it.</p>
  </section>`;
}

export function GridPanel(props) {
  const { run, runName, taskKey, shape, runs, params } = props;
  const ref = useRef(null);
  // On a phone the panel is below the grid: bring a new selection's panel into view.
  useEffect(() => {
    const panel = ref.current;
    if (!panel || !runName || window.innerWidth >= 900) return;
    if (panel.getBoundingClientRect().top > window.innerHeight - 80) {
      panel.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  }, [runName, taskKey]);
  let body;
  if (runName && !run) {
    body = html`<section class="panel"><p class="muted">Run ${runName} is not in this DAG's runs
      (deleted, or still loading).</p></section>`;
  } else if (run && taskKey && shape.groups.has(taskKey)) {
    body = html`<${GroupPanel} ...${props} group=${taskKey} />`;
  } else if (run && taskKey && (shape.mapped.has(taskKey) || (run.tis && !run.tis[taskKey]
      && props.indexer.index(run.tis).mapped.has(taskKey)))) {
    body = html`<${MappedPanel} ...${props} name=${taskKey} />`;
  } else if (run && taskKey) {
    body = html`<${TiPanel} ...${props} pane=${params.pane} />`;
  } else if (run) {
    body = html`<${RunPanel} ...${props} />`;
  } else {
    body = html`<${DagSummary} runs=${runs} params=${params} detail=${props.detail} />`;
  }
  return html`<aside class="grid-panel" ref=${ref}>${body}</aside>`;
}
