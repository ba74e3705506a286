// The Graph tab's side panel for a clicked task: what it is, its instance(s) in the
// selected run (state, try, times), its neighbours, and a link to the grid with that
// task instance selected (where its log and actions are).
import { html, fullTime, duration, between, useEffect, useRef } from "../lib.js";
import { label, stateClass } from "../states.js";
import { gridHash } from "./run_picker.js";

function Times({ cell, now }) {
  const [, , start, end, queued] = cell;
  const running = start && !end;
  return html`
    ${queued && html`<tr><th>Queued</th><td>${fullTime(queued)}</td></tr>`}
    ${start && html`<tr><th>Started</th><td>${fullTime(start)}</td></tr>`}
    ${end && html`<tr><th>Ended</th><td>${fullTime(end)}</td></tr>`}
    ${start && html`<tr><th>Duration</th><td>${duration(between(start, end, now))}${running ? " (running)" : ""}</td></tr>`}`;
}

function Neighbours({ title, names, onPick }) {
  if (!names.length) return null;
  return html`<div class="neighbours"><h4>${title}</h4>${names.map((n) => html`
    <button type="button" class="linkish" onClick=${() => onPick(n)}>${n}</button>`)}</div>`;
}

function MappedInstances({ instances, run, base, now }) {
  return html`<table class="kv mapped-list"><thead><tr><th>Index</th><th>State</th><th>Try</th>
    <th>Duration</th></tr></thead><tbody>${instances.map(({ key, index, cell }) => html`
    <tr key=${key}><td><a href=${gridHash(base, run.name, key)}>[${index}]</a></td>
      <td><span class=${`pill ${stateClass(cell[0])}`}>${label(cell[0])}</span></td>
      <td>${cell[1] || ""}</td><td>${duration(between(cell[2], cell[3], now))}</td></tr>`)}
  </tbody></table>`;
}

export function NodePanel({ node, run, instances, base, now, onClose, onPick, structure }) {
  const task = node.task;
  const downstream = structure.tasks.filter((t) => t.upstream.includes(task.name)).map((t) => t.name);
  const panel = useRef(null);
  // On a phone the panel is below the graph: bring it into view when a task is picked.
  useEffect(() => {
    if (panel.current && window.innerWidth < 700) panel.current.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }, [task.name]);
  const single = !task.mapped ? (instances[0] || { key: task.name, cell: ["none", 0, null, null, null] }) : null;
  return html`<aside class="graph-panel" ref=${panel} aria-label=${`Task ${task.name}`}>
    <header><h3 title=${task.name}>${task.name}</h3>
      <button type="button" class="close" aria-label="Close" onClick=${onClose}>×</button></header>
    <table class="kv"><tbody>
      <tr><th>Operator</th><td>${task.operator}${task.mapped ? " (mapped)" : ""}${task.role ? ` (${task.role})` : ""}</td></tr>
      <tr><th>Trigger rule</th><td>${task.triggerRule}</td></tr>
      ${task.group && html`<tr><th>Task group</th><td>${task.group}</td></tr>`}
      ${run && single && html`
        <tr><th>State</th><td><span class=${`pill ${stateClass(single.cell[0])}`}>${label(single.cell[0])}</span></td></tr>
        ${single.cell[1] > 0 && html`<tr><th>Try</th><td>${single.cell[1]}</td></tr>`}
        <${Times} cell=${single.cell} now=${now} />`}
    </tbody></table>
    ${run && task.mapped && (instances.length
      ? html`<${MappedInstances} instances=${instances} run=${run} base=${base} now=${now} />`
      : html`<p class="muted">Not expanded yet: its instances appear once its upstream ran.</p>`)}
    ${run && (single || instances.length > 0) && html`<p><a class="button-link"
      href=${gridHash(base, run.name, single ? single.key : instances[0].key)}>
      Open in grid (log, clear, mark)</a></p>`}
    <${Neighbours} title="Upstream" names=${task.upstream} onPick=${onPick} />
    <${Neighbours} title="Downstream" names=${downstream} onPick=${onPick} />
  </aside>`;
}
