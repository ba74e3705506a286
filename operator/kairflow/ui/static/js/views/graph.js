// Airflow's Graph view of one run: the tasks of the DAG version that run used (its
// snapshot; the DAG's current shape before it starts), left to right, coloured live by
// the run's task instance states. Laid out once per structure; state changes recolour.
import { html, useEffect, useLayoutEffect, useMemo, useState } from "../lib.js";
import { label, summaryState } from "../states.js";
import { RunPicker, pickRun, tabHash, useNow, useRunDetail } from "./run_picker.js";
import { layout, signature, groupsOf, subLine, withGroups } from "./graph_layout.js";
import { usePanZoom } from "./pan_zoom.js";
import { NodePanel } from "./graph_panel.js";

const COLLAPSE_ABOVE = 60; // a DAG with more tasks opens with its groups collapsed
// A graph that fits only below TINY opens at READABLE, at its start (Fit shows it all).
const TINY = 0.4;
const READABLE = 0.7;

let dagreScript = null;

// dagre is a classic script (global `dagre`), added only when a graph is first drawn.
export function loadDagre() {
  if (window.dagre) return Promise.resolve(window.dagre);
  if (!dagreScript) {
    dagreScript = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = "/static/vendor/dagre.min.js";
      script.onload = () => resolve(window.dagre);
      script.onerror = () => {
        dagreScript = null;
        reject(new Error("could not load the graph layout (static/vendor/dagre.min.js)"));
      };
      document.head.appendChild(script);
    });
  }
  return dagreScript;
}

function useDagre() {
  const [found, setFound] = useState({ dagre: window.dagre || null, error: null });
  useEffect(() => {
    if (found.dagre) return;
    loadDagre().then((dagre) => setFound({ dagre, error: null }))
      .catch((error) => setFound({ dagre: null, error: error.message }));
  }, []);
  return found;
}

// Task name -> its instances' cells ([state, try, start, end, queued]) in this run;
// a mapped task's `name[i]` instances gathered under `name`, by map index.
export function cellsByTask(tis) {
  const found = new Map();
  for (const [key, cell] of Object.entries(tis || {})) {
    const mapped = /^(.*)\[(\d+)\]$/.exec(key);
    const name = mapped ? mapped[1] : key;
    if (!found.has(name)) found.set(name, []);
    found.get(name).push({ key, index: mapped ? Number(mapped[2]) : null, cell });
  }
  for (const list of found.values()) list.sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
  return found;
}

function nodeState(node, byTask) {
  const names = node.kind === "group" ? node.members : [node.name];
  const states = [];
  for (const name of names) {
    const instances = byTask.get(name);
    if (instances && instances.length) for (const i of instances) states.push(i.cell[0]);
    else states.push("none");
  }
  return summaryState(states) || "none";
}

function Node({ node, state, count, selected, onPick }) {
  const mapped = node.kind === "task" && node.task.mapped;
  const classes = `gnode s-${state}${node.kind === "group" ? " group" : ""}${selected ? " selected" : ""}`;
  const pick = () => onPick(node);
  const key = (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(); } };
  return html`<g class=${classes} transform=${`translate(${node.x - node.width / 2},${node.y - node.height / 2})`}
      tabindex="0" role="button" data-task=${node.name} aria-label=${`${node.name}: ${label(state)}`}
      onClick=${pick} onKeyDown=${key}>
    <title>${node.name} (${label(state)})${node.tooltip ? `: ${node.tooltip}` : ""}</title>
    <rect class="box" width=${node.width} height=${node.height} rx="5" />
    <rect class="strip" width="6" height=${node.height} rx="2" />
    <text class="name" x="14" y="18">${node.kind === "group" ? `▸ ${node.label}` : node.label}</text>
    <text class="sub" x="14" y="34">${subLine(node, state !== "none" ? `${node.sub} · ${label(state)}` : node.sub)}</text>
    ${mapped && html`<g class="badge" transform=${`translate(${node.width - 38},${node.height / 2 - 9})`}>
      <rect width="32" height="18" rx="9" /><text x="16" y="13">[${count}]</text></g>`}
  </g>`;
}

function GroupBox({ box, onToggle }) {
  return html`<g class="gbox" data-group=${box.name}>
    ${box.tooltip && html`<title>${box.tooltip}</title>`}
    <rect x=${box.x} y=${box.y} width=${box.width} height=${box.height} rx="8" />
    <text class="gtitle" x=${box.x + 8} y=${box.y + 14} role="button" tabindex="0"
      onClick=${() => onToggle(box.name)}
      onKeyDown=${(e) => { if (e.key === "Enter") onToggle(box.name); }}>▾ ${box.label}
      <tspan class="gcount"> (${box.count})</tspan></text>
  </g>`;
}

function Legend({ states }) {
  return html`<div class="legend">${states.map((s) => html`
    <span class="legend-item"><span class=${`swatch s-${s}`}></span>${label(s)}</span>`)}</div>`;
}

// "task:extract" -> "extract" (a node's id is its kind and its task or group name).
const nameOf = (id) => id.slice(id.indexOf(":") + 1);

function Canvas({ drawing, byTask, selected, onPick, onToggle, fitKey }) {
  const pan = usePanZoom();
  useLayoutEffect(() => { pan.fit(drawing.width, drawing.height, TINY, READABLE); }, [fitKey]);
  useLayoutEffect(() => { pan.apply(); });
  const near = selected ? new Set([selected]) : null;
  const pick = (node) => { if (!pan.wasDrag()) onPick(node); };
  return html`<div class="graph-canvas">
    <div class="graph-tools">
      <button type="button" title="Zoom out" aria-label="Zoom out" onClick=${() => pan.zoomCentre(1 / 1.25)}>−</button>
      <button type="button" title="Zoom in" aria-label="Zoom in" onClick=${() => pan.zoomCentre(1.25)}>+</button>
      <button type="button" title="Fit the graph to the screen" onClick=${() => pan.fit(drawing.width, drawing.height)}>Fit</button>
    </div>
    <svg ref=${pan.svg} class="graph-svg" role="img" aria-label="Graph of the run's tasks" ...${pan.handlers}>
      <defs><marker id="kf-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"
        orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" /></marker>
        <marker id="kf-arrow-hl" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"
        orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" /></marker></defs>
      <g ref=${pan.layer}>
        ${drawing.boxes.map((box) => html`<${GroupBox} key=${box.name} box=${box} onToggle=${onToggle} />`)}
        ${drawing.edges.map((e) => {
          const lit = near && (near.has(e.from) || near.has(e.to));
          return html`<path key=${e.id} class=${lit ? "gedge lit" : "gedge"} d=${e.d}
            data-from=${nameOf(e.from)} data-to=${nameOf(e.to)}
            marker-end=${lit ? "url(#kf-arrow-hl)" : "url(#kf-arrow)"} />`;
        })}
        ${drawing.nodes.map((node) => {
          const instances = byTask.get(node.name);
          return html`<${Node} key=${node.id} node=${node} state=${nodeState(node, byTask)}
            count=${instances ? instances.length : 0} selected=${node.id === selected} onPick=${pick} />`;
        })}
      </g>
    </svg>
  </div>`;
}

function VersionNote({ fromRun, current, base, run }) {
  if (!run) return null;
  if (!fromRun) {
    return html`<p class="graph-note muted">${run.state === "queued"
      ? "This run has not started: drawn from the DAG's current definition."
      : "This run kept no snapshot of its DAG: drawn from the DAG's current definition."}</p>`;
  }
  if (current && signature(current.tasks) !== signature(fromRun.tasks)) {
    const words = `This run used an earlier version of the DAG (${fromRun.tasks.length} tasks then, ${current.tasks.length} now). `;
    return html`<p class="graph-note warn">${words}<a href=${tabHash(base, "code", { mode: "diff", run: run.name })}>See what changed</a></p>`;
  }
  return null;
}

export function Graph({ ns, detail, runs, store, params, base }) {
  const { run, wanted } = pickRun(runs, params);
  const runDetail = useRunDetail(ns, run);
  const fromRun = runDetail.detail && runDetail.detail.structure;
  const current = detail && detail.structure;
  const structure = fromRun || (run && runDetail.loading ? null : current);
  const { dagre, error } = useDagre();
  const tasks = useMemo(() => withGroups(structure), [structure]);
  const shape = signature(tasks);
  const [collapsed, setCollapsed] = useState(null);
  const groups = useMemo(() => groupsOf(tasks), [shape]);
  // Groups start collapsed only on big DAGs, as Airflow's do once there are many.
  const closed = collapsed || (tasks.length > COLLAPSE_ABOVE ? new Set(groups.keys()) : new Set());
  const closedKey = [...closed].sort().join(",");
  const drawing = useMemo(() => (dagre && tasks.length ? layout(dagre, tasks, closed) : null),
    [dagre, shape, closedKey]);
  const [selectedId, setSelectedId] = useState(params.task ? `task:${params.task}` : null);
  const byTask = useMemo(() => cellsByTask(run && run.tis), [run]);
  const running = Boolean(run && (run.state === "running" || run.state === "queued"));
  const now = useNow(running);
  const toggle = (name) => {
    const next = new Set(closed);
    if (next.has(name)) next.delete(name); else next.add(name);
    setCollapsed(next);
  };
  const onPick = (node) => {
    if (node.kind === "group") { toggle(node.name); return; }
    setSelectedId(node.id === selectedId ? null : node.id);
  };
  // A task inside a collapsed group is shown by opening its groups.
  const pickName = (name) => {
    const hidden = [...groups.values()].filter((g) => g.tasks.includes(name) && closed.has(g.name)).map((g) => g.name);
    if (hidden.length) setCollapsed(new Set([...closed].filter((g) => !hidden.includes(g))));
    setSelectedId(`task:${name}`);
  };
  const selected = drawing && drawing.nodes.find((n) => n.id === selectedId);
  const present = useMemo(() => {
    const seen = new Set(["none"]);
    for (const list of byTask.values()) for (const i of list) seen.add(i.cell[0]);
    return [...seen].sort((a, b) => (a === "none") - (b === "none"));
  }, [byTask]);
  return html`<div class="graph-view">
    <div class="view-bar">
      <${RunPicker} runs=${runs} run=${run} wanted=${wanted} base=${base} tab="graph" params=${params}
        loaded=${store.loaded.has("dagruns")} />
      ${groups.size > 0 && html`<span class="view-actions">
        <button type="button" onClick=${() => setCollapsed(new Set())}>Expand groups</button>
        <button type="button" onClick=${() => setCollapsed(new Set(groups.keys()))}>Collapse groups</button>
      </span>`}
    </div>
    <${VersionNote} fromRun=${fromRun} current=${current} base=${base} run=${run} />
    ${runDetail.error && html`<p class="error" role="alert">Could not read run ${run.name}: ${runDetail.error}</p>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${structure && !structure.valid && html`<p class="problem" role="note">
      The DAG is not valid, so its tasks are drawn without their dependencies.</p>`}
    ${!structure && !error && html`<p class="loading">Loading…</p>`}
    ${structure && !tasks.length && html`<p class="empty">This DAG has no tasks to draw.</p>`}
    ${drawing && html`<div class="graph-body">
      <${Canvas} drawing=${drawing} byTask=${byTask} selected=${selectedId} onPick=${onPick}
        onToggle=${toggle} fitKey=${`${shape}|${closedKey}`} />
      ${selected && html`<${NodePanel} node=${selected} run=${run} instances=${byTask.get(selected.name) || []}
        base=${base} now=${now} onClose=${() => setSelectedId(null)}
        onPick=${pickName} structure=${structure} />`}
    </div>
    <${Legend} states=${present} />`}
  </div>`;
}
