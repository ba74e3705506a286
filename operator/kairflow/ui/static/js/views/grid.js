// Airflow's grid: runs as columns (newest at the right) under a duration bar chart,
// tasks as rows in the DAG's order, groups and mapped tasks collapsible; a cell opens
// its task instance, a bar its run. The selection lives in the URL (`?run=R&task=K`),
// so a reload or a shared link shows the same thing.
import { html, useEffect, useMemo, useState } from "../lib.js";
import { STATES, label } from "../states.js";
import {
  shapeOf, makeIndexer, buildRows, acrossRuns, rowsSignature, baseOf, groupsOf,
} from "./grid_model.js";
import { GridTable } from "./grid_table.js";
import { GridPanel } from "./grid_panel.js";

const RUN_CHOICES = [5, 25, 50, 100, 365];
const DEFAULT_RUNS = 25;

export function gridHash(base, params, changes) {
  const next = { ...params, ...changes };
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(next)) if (v !== null && v !== undefined && v !== "") query.set(k, v);
  const text = query.toString();
  return `${base}/grid${text ? `?${text}` : ""}`;
}

function storageKey(ns, dag) {
  return `kairflow.grid.${ns}.${dag}`;
}

// Which groups the user closed and which mapped tasks they opened, per DAG.
function loadExpansion(ns, dag) {
  try {
    const saved = JSON.parse(window.localStorage.getItem(storageKey(ns, dag)) || "{}");
    return { collapsed: new Set(saved.collapsed || []), open: new Set(saved.open || []) };
  } catch (_) {
    return { collapsed: new Set(), open: new Set() };
  }
}

function saveExpansion(ns, dag, expansion) {
  try {
    window.localStorage.setItem(storageKey(ns, dag), JSON.stringify({
      collapsed: [...expansion.collapsed], open: [...expansion.open],
    }));
  } catch (_) { /* private mode: not kept */ }
}

// Without the DAG (deleted, or not readable), the rows come from the newest run.
function tasksFromRuns(runs) {
  const seen = new Map();
  for (const run of runs) {
    for (const key in run.tis || {}) {
      const bracket = key.indexOf("[");
      const name = bracket < 0 ? key : key.slice(0, bracket);
      if (!seen.has(name)) seen.set(name, { name, group: null, mapped: bracket >= 0 });
    }
    if (seen.size) break;
  }
  return [...seen.values()];
}

function Legend() {
  return html`<div class="g-legend" aria-label="States">${STATES.map((s) => html`
    <span class="g-legend-item"><span class=${`cell st-${s}`}></span>${label(s)}</span>`)}</div>`;
}

function Toolbar({ limit, total, shown, rows, shape, setLimit, expandAll, collapseAll, connected }) {
  const choices = RUN_CHOICES.includes(limit) ? RUN_CHOICES : [...RUN_CHOICES, limit].sort((a, b) => a - b);
  return html`<div class="g-toolbar">
    <label class="g-runs">Runs
      <select aria-label="Number of runs" value=${limit} onChange=${(e) => setLimit(Number(e.target.value))}>
        ${choices.map((n) => html`<option value=${n}>${n}</option>`)}
      </select></label>
    ${total > shown && html`<button class="g-more" onClick=${() => setLimit(limit + DEFAULT_RUNS)}>
      Show more runs</button>`}
    <span class="muted g-sizes">${shown} of ${total} runs · ${rows} rows</span>
    ${shape.hasGroups && html`<span class="g-expand">
      <button onClick=${expandAll}>Expand all</button><button onClick=${collapseAll}>Collapse all</button></span>`}
    <span class=${`g-live ${connected ? "on" : "off"}`}>${connected ? "Live" : "Reconnecting…"}</span>
  </div>`;
}

export function Grid(ctx) {
  const { ns, dag, detail, live, runs, store, params, base } = ctx;
  const limit = Math.max(1, Number(params.num_runs) || DEFAULT_RUNS);
  const shownRuns = useMemo(() => runs.slice(0, limit).reverse(), [runs, limit]);
  const dagGone = store.loaded.has("dags") && !live;
  const tasks = detail && detail.structure ? detail.structure.tasks : dagGone ? tasksFromRuns(runs) : null;
  const groupInfo = detail && detail.structure ? detail.structure.groups : null;
  const tasksKey = useMemo(
    () => (tasks ? tasks.map((t) => `${t.name}${t.mapped ? "[]" : ""}@${(t.groups || []).join("/")}`).join("\n")
      + JSON.stringify(groupInfo || []) : null), [tasks, groupInfo],
  );
  // Rebuilt when the DAG's tasks change, not each time the DAG's status does.
  const shape = useMemo(() => shapeOf(tasks || [], groupInfo || []), [tasksKey]);
  const indexer = useMemo(() => makeIndexer(shape), [shape]);
  const [expansion, setExpansion] = useState(() => loadExpansion(ns, dag));
  const { extras, width } = acrossRuns(indexer, shownRuns, expansion.open);
  const signature = rowsSignature(extras, width);
  const rows = useMemo(
    () => buildRows(shape, expansion.collapsed, expansion.open, width, extras),
    [shape, expansion, signature],
  );
  const ready = tasks !== null && store.loaded.has("dagruns");

  const go = (changes) => { window.location.hash = gridHash(base, params, changes); };
  const selectedRun = params.run || (params.task && shownRuns.length ? shownRuns[shownRuns.length - 1].name : null);
  const selectedKey = params.task || null;
  const run = selectedRun ? runs.find((r) => r.name === selectedRun) : null;

  const changeExpansion = (change) => {
    const next = { collapsed: new Set(expansion.collapsed), open: new Set(expansion.open) };
    change(next);
    saveExpansion(ns, dag, next);
    setExpansion(next);
  };
  // A selected instance inside a closed group or an unexpanded mapped task (a shared
  // link): open what hides its row.
  useEffect(() => {
    if (!selectedKey) return;
    const name = baseOf(selectedKey);
    const closed = (shape.paths.get(name) || groupsOf(name)).filter((g) => expansion.collapsed.has(g));
    const unopened = name !== selectedKey && !expansion.open.has(name);
    if (!closed.length && !unopened) return;
    changeExpansion((next) => {
      for (const g of closed) next.collapsed.delete(g);
      if (unopened) next.open.add(name);
    });
  }, [selectedKey, tasksKey]);
  const onToggle = (row) => changeExpansion((next) => {
    const set = row.kind === "group" ? next.collapsed : next.open;
    if (set.has(row.key)) set.delete(row.key); else set.add(row.key);
  });
  const onCell = (row, cellRun) => {
    const same = row.key === selectedKey && cellRun.name === selectedRun;
    go(same ? { task: null } : { run: cellRun.name, task: row.key });
  };
  const onRun = (clicked) => {
    go(clicked.name === selectedRun && !selectedKey ? { run: null, task: null } : { run: clicked.name, task: null });
  };
  const onName = (row) => {
    const target = selectedRun || (shownRuns.length ? shownRuns[shownRuns.length - 1].name : null);
    go({ run: target, task: row.key });
  };
  const onKey = (event) => {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (event.key === "Escape") { go({ run: null, task: null }); return; }
    const move = moves[event.key];
    if (!move || !rows.length || !shownRuns.length) return;
    event.preventDefault();
    const rowAt = Math.max(0, rows.findIndex((r) => r.key === selectedKey));
    const colAt = shownRuns.findIndex((r) => r.name === selectedRun);
    const row = Math.min(rows.length - 1, Math.max(0, rowAt + (selectedKey ? move[0] : 0)));
    const col = Math.min(shownRuns.length - 1, Math.max(0, (colAt < 0 ? shownRuns.length - 1 : colAt + move[1])));
    go({ run: shownRuns[col].name, task: rows[row].key });
  };
  const groups = [...shape.groups.keys()];

  return html`<div class="grid-view">
    <${Toolbar} limit=${limit} total=${runs.length} shown=${shownRuns.length} rows=${rows.length}
      shape=${shape} connected=${store.connected}
      setLimit=${(n) => go({ num_runs: n === DEFAULT_RUNS ? null : n })}
      expandAll=${() => changeExpansion((next) => next.collapsed.clear())}
      collapseAll=${() => changeExpansion((next) => { for (const g of groups) next.collapsed.add(g); })} />
    <div class="grid-split">
      <div class="grid-main">
        ${!ready && html`<p class="loading">Loading…</p>`}
        ${ready && !runs.length && html`<p class="empty">No runs yet. Trigger one, or unpause the DAG
          to let its schedule create them.</p>`}
        ${ready && runs.length > 0 && html`<${GridTable} rows=${rows} runs=${shownRuns} ready=${ready}
          cellOf=${indexer.cellOf} countOf=${(row) => width.get(row.key) || maxCount(indexer, shownRuns, row.key)}
          selectedRun=${selectedRun} selectedKey=${selectedKey}
          onCell=${onCell} onRun=${onRun} onToggle=${onToggle} onName=${onName} onKey=${onKey} />`}
        ${ready && runs.length > 0 && html`<${Legend} />`}
      </div>
      <${GridPanel} ...${ctx} run=${run} runName=${selectedRun} taskKey=${selectedKey}
        shape=${shape} indexer=${indexer} go=${go} />
    </div>
  </div>`;
}

// The most mapped instances a task has in the shown runs (for its row's badge).
function maxCount(indexer, runs, name) {
  let most = 0;
  for (const run of runs) {
    const found = indexer.mappedCell(run.tis || {}, name);
    if (found && found.count > most) most = found.count;
  }
  return most;
}
