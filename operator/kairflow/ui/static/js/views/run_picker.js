// The run that the Graph, Gantt and Code tabs show: `?run=NAME` in the page's hash,
// else the newest run. A selector to switch runs (older/newer steps), the run's own
// details (the structure of the DAG version it ran) read once per run and snapshot,
// and a clock that ticks while something runs.
import { html, enc, getJson, useEffect, useState, shortTime, errorText } from "../lib.js";
import { label, stateClass } from "../states.js";

export function pickRun(runs, params) {
  const wanted = (params && params.run) || null;
  if (wanted) return { run: runs.find((r) => r.name === wanted) || null, wanted };
  return { run: runs[0] || null, wanted: null };
}

// `#/ns/NS/dags/D/TAB?k=v`, leaving out empty values.
export function tabHash(base, tab, query = {}) {
  const pairs = Object.entries(query).filter(([, v]) => v !== null && v !== undefined && v !== "");
  const text = new URLSearchParams(pairs).toString();
  return `${base}/${tab}${text ? `?${text}` : ""}`;
}

export function gridHash(base, run, task) {
  return tabHash(base, "grid", { run, task });
}

function runWords(run) {
  const kind = run.backfill ? "backfill" : run.runType;
  return `${shortTime(run.logicalDate)} · ${kind} · ${label(run.state)}`;
}

export function RunPicker({ runs, run, wanted, base, tab, params, loaded }) {
  const choose = (name) => {
    window.location.hash = tabHash(base, tab, { ...params, run: name });
  };
  if (!runs.length) {
    return html`<div class="run-picker"><span class="muted">
      ${loaded ? "No runs yet: trigger one to see it here." : "Loading runs…"}</span></div>`;
  }
  const index = run ? runs.indexOf(run) : -1;
  const older = index >= 0 ? runs[index + 1] : null;
  const newer = index > 0 ? runs[index - 1] : null;
  return html`<div class="run-picker">
    <label class="run-select">Run
      <select aria-label="Run" value=${run ? run.name : ""}
        onChange=${(event) => choose(event.target.value)}>
        ${!run && html`<option value="">${wanted || "choose a run"}</option>`}
        ${runs.map((r) => html`<option key=${r.name} value=${r.name}>${runWords(r)}</option>`)}
      </select></label>
    <span class="run-steps">
      <button type="button" disabled=${!older} title="Older run" aria-label="Older run"
        onClick=${() => older && choose(older.name)}>‹</button>
      <button type="button" disabled=${!newer} title="Newer run" aria-label="Newer run"
        onClick=${() => newer && choose(newer.name)}>›</button>
    </span>
    ${run && html`<span class=${`pill ${stateClass(run.state)}`}>${label(run.state)}</span>
      <span class="run-name mono" title=${run.runId || run.name}>${run.name}</span>`}
    ${wanted && !run && loaded && html`<span class="error" role="alert">
      Run ${wanted} is not in this namespace (deleted?).</span>`}
  </div>`;
}

// GET /api/ns/NS/dagruns/RUN once per run and DAG snapshot: the snapshot is written
// when the run starts, so a queued run is read again once it runs.
export function useRunDetail(ns, run) {
  const [found, setFound] = useState({ key: null, name: null, detail: null, error: null });
  const key = run ? `${run.name}|${run.dagGeneration ?? ""}|${run.state === "queued"}` : null;
  useEffect(() => {
    if (!run) return undefined;
    let current = true;
    const name = run.name;
    getJson(`/api/ns/${enc(ns)}/dagruns/${enc(name)}`)
      .then((detail) => current && setFound({ key, name, detail, error: null }))
      .catch((e) => current && setFound({ key, name, detail: null, error: errorText(e) }));
    return () => { current = false; };
  }, [ns, key]);
  // While the same run is read again, keep showing what was read before.
  if (!run || found.name !== run.name) return { detail: null, error: null, loading: Boolean(run) };
  return { detail: found.detail, error: found.error, loading: found.key !== key };
}

// Date.now(), re-rendering every `ms` while `active` (a run or a bar still grows).
export function useNow(active, ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return undefined;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [active, ms]);
  return active ? now : Date.now();
}
