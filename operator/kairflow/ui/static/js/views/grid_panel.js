// The panel beside the grid: the selected task instance, mapped task, group or run,
// or, with nothing selected, how to select one.
import { html } from "../lib.js";
import { openDialog } from "../dialogs.js";
import { label } from "../states.js";
import { RunPanel, StatePill } from "./run_panel.js";
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
  const state = indexer.groupStates(tis).get(group);
  const props = { ns, dag, run: run.name, runId: run.runId, tasks: keys };
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

function Hint({ runs }) {
  return html`<section class="panel hint-panel">
    <h2>${runs.length ? "Select a task instance or a run" : "No runs yet"}</h2>
    <p class="muted">Click a cell to see its task instance: its state, tries, times, rendered
      command, XCom and log. Click a bar (or its column's header) to see the DAG run.
      Arrow keys move the selection; Escape clears it.</p>
  </section>`;
}

export function GridPanel(props) {
  const { run, runName, taskKey, shape, runs, params } = props;
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
    body = html`<${Hint} runs=${runs} />`;
  }
  return html`<aside class="grid-panel">${body}</aside>`;
}
