// Airflow's DAGs page: name, schedule in words, the on/off toggle, tags, owners, the
// last runs as coloured dots, the next run, and a DAG's problem when it is not Ready.
import { html, useState, enc, shortTime } from "../lib.js";
import { PauseToggle } from "./pause.js";
import { useLive, runsNewestFirst } from "../store.js";
import { stateClass, label } from "../states.js";

const DOTS = 5;

function RunDots({ runs }) {
  return html`<span class="dots">${runs.slice(0, DOTS).map((run) => html`
    <span class=${`dot ${stateClass(run.state)}`}
      title=${`${run.name}: ${label(run.state)} (${shortTime(run.logicalDate)})`}></span>`)}
  </span>`;
}

function matches(dag, text, tag, stateFilter, runs) {
  if (text && !dag.name.toLowerCase().includes(text.toLowerCase())) return false;
  if (tag && !dag.tags.includes(tag)) return false;
  if (stateFilter === "active" && dag.paused) return false;
  if (stateFilter === "paused" && !dag.paused) return false;
  if (stateFilter === "failed" && !(runs[0] && runs[0].state === "failed")) return false;
  if (stateFilter === "running" && !runs.some((r) => r.state === "running")) return false;
  if (stateFilter === "invalid" && !(dag.ready && dag.ready.status !== "True")) return false;
  return true;
}

export function DagList({ ns }) {
  const { store } = useLive(ns, null);
  const [text, setText] = useState("");
  const [tag, setTag] = useState("");
  const [stateFilter, setStateFilter] = useState("all");
  const runsByDag = new Map();
  for (const run of runsNewestFirst(store.dagruns)) {
    if (!runsByDag.has(run.dag)) runsByDag.set(run.dag, []);
    runsByDag.get(run.dag).push(run);
  }
  const dags = [...store.dags.values()].sort((a, b) => a.name.localeCompare(b.name));
  const tags = [...new Set(dags.flatMap((d) => d.tags))].sort();
  const shown = dags.filter((d) => matches(d, text, tag, stateFilter, runsByDag.get(d.name) || []));
  const loading = !store.loaded.has("dags");
  return html`<section class="dag-list">
    <h1>DAGs <span class="count">${shown.length}${shown.length !== dags.length ? ` of ${dags.length}` : ""}</span></h1>
    <div class="filters">
      <input type="search" placeholder="Search DAGs" aria-label="Search DAGs" value=${text}
        onInput=${(e) => setText(e.target.value)} />
      <select aria-label="Filter by tag" value=${tag} onChange=${(e) => setTag(e.target.value)}>
        <option value="">All tags</option>
        ${tags.map((t) => html`<option value=${t}>${t}</option>`)}
      </select>
      <select aria-label="Filter by state" value=${stateFilter}
        onChange=${(e) => setStateFilter(e.target.value)}>
        ${["all", "active", "paused", "running", "failed", "invalid"].map((s) => html`
          <option value=${s}>${s === "all" ? "All DAGs" : s[0].toUpperCase() + s.slice(1)}</option>`)}
      </select>
      ${!store.connected && store.loaded.size > 0 && html`<span class="warn">Reconnecting…</span>`}
    </div>
    ${store.errors.dags && html`<p class="error" role="alert">${store.errors.dags}</p>`}
    ${loading && !store.errors.dags && html`<p class="loading">Loading…</p>`}
    ${!loading && !dags.length && !store.errors.dags && html`<p class="empty">No DAGs in namespace ${ns}.
      Apply one with <code>kubectl apply -f dag.yaml</code>.</p>`}
    <table class="dags">
      <thead><tr><th></th><th>DAG</th><th>Owner</th><th>Runs</th><th>Schedule</th>
        <th>Last run</th><th>Next run</th></tr></thead>
      <tbody>${shown.map((dag) => {
        const runs = runsByDag.get(dag.name) || [];
        const problem = dag.ready && dag.ready.status !== "True" ? (dag.ready.message || dag.ready.reason) : null;
        return html`<tr key=${dag.name} data-dag=${dag.name}>
          <td><${PauseToggle} ns=${ns} dag=${dag} /></td>
          <td class="name"><a href=${`#/ns/${enc(ns)}/dags/${enc(dag.name)}/grid`}>${dag.name}</a>
            ${dag.tags.map((t) => html`<button class="tag" onClick=${() => setTag(t)}>${t}</button>`)}
            ${problem && html`<div class="problem" role="note">Not ready: ${problem}</div>`}
            ${dag.description && html`<div class="desc">${dag.description}</div>`}</td>
          <td>${dag.owners.join(", ")}</td>
          <td><${RunDots} runs=${runs} /></td>
          <td><span class="schedule" title=${dag.schedule || "None"}>${dag.scheduleWords}</span></td>
          <td>${runs[0] ? html`<span class=${`pill ${stateClass(runs[0].state)}`}>${label(runs[0].state)}</span> ${shortTime(runs[0].logicalDate)}` : ""}</td>
          <td>${dag.paused ? html`<span class="muted">paused</span>` : shortTime(dag.nextRun && dag.nextRun.logicalDate)}</td>
        </tr>`;
      })}</tbody>
    </table>
  </section>`;
}
