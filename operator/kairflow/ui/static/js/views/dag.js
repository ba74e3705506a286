// One DAG: its header (toggle, schedule, trigger), and tabs with Airflow's views.
// Each tab is a module of its own; they all read the same live store.
import { html, enc, getJson, useEffect, useState, errorText } from "../lib.js";
import { useLive, runsNewestFirst } from "../store.js";
import { TABS } from "./tabs.js";
import { DagHeader } from "./dag_header.js";

export function DagPage({ ns, dag, tab, params }) {
  const { store, version } = useLive(ns, dag);
  const [detail, setDetail] = useState(null);
  const [problem, setProblem] = useState(null);
  const live = store.dags.get(dag);
  const generation = live ? live.resourceVersion : null;
  const read = () => getJson(`/api/ns/${enc(ns)}/dags/${enc(dag)}`).then(setDetail).catch(setProblem);
  useEffect(() => { read(); }, [ns, dag]);
  // Again only when the DAG changed since the version read: the stream's first word on
  // it is usually that same version (a 5,000-task DAG's shape costs the server ~0.2 s).
  useEffect(() => {
    if (generation && detail && detail.resourceVersion !== generation) read();
  }, [generation, detail]);
  const runs = runsNewestFirst(store.dagruns, dag);
  const current = TABS.find((t) => t.id === tab) || TABS[0];
  const base = `#/ns/${enc(ns)}/dags/${enc(dag)}`;
  if (problem && !live) {
    return html`<p class="error" role="alert">${errorText(problem)}</p>`;
  }
  // The selected run stays selected from tab to tab (grid, graph, Gantt, code).
  const keep = params && params.run ? `?run=${enc(params.run)}` : "";
  const ctx = { ns, dag, live, detail, runs, store, version, params, base };
  return html`<section class="dag-page">
    <${DagHeader} ...${ctx} />
    <nav class="tabs" role="tablist">${TABS.map((t) => html`
      <a role="tab" aria-selected=${t.id === current.id} class=${t.id === current.id ? "active" : ""}
        href=${`${base}/${t.id}${keep}`}>${t.title}</a>`)}</nav>
    ${store.errors.dagruns && html`<p class="error" role="alert">${store.errors.dagruns}</p>`}
    <div class="tab-body"><${current.view} ...${ctx} /></div>
  </section>`;
}
