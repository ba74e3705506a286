// Airflow's Code tab: the DAG's definition as YAML and, for a run, the definition it
// ran with (its snapshot) and a unified diff from that to the DAG's definition now.
// `?mode=dag|diff|ran&run=NAME` in the hash.
import { html, enc, getJson, getText, useEffect, useState, errorText } from "../lib.js";
import { RunPicker, pickRun, tabHash } from "./run_picker.js";
import { DiffBlock, YamlBlock, parseDiff } from "./code_blocks.js";

const MODES = [
  ["dag", "Definition"],
  ["diff", "Changes since a run"],
  ["ran", "A run's definition"],
];

// GET `path` as text or JSON again whenever `key` changes, keeping the last answer
// meanwhile (no flash of "Loading" on a live update).
function useFetched(path, key, json) {
  const [found, setFound] = useState({ path: null, value: null, error: null });
  useEffect(() => {
    if (!path) return undefined;
    let current = true;
    (json ? getJson(path) : getText(path))
      .then((value) => current && setFound({ path, value, error: null }))
      .catch((e) => current && setFound({ path, value: null, error: errorText(e) }));
    return () => { current = false; };
  }, [path, key]);
  return found.path === path ? found : { value: null, error: null };
}

function CopyButton({ text }) {
  const [done, setDone] = useState(null);
  const copy = () => navigator.clipboard.writeText(text)
    .then(() => setDone("Copied"), () => setDone("Copy refused: select the text instead"));
  useEffect(() => {
    if (!done) return undefined;
    const timer = setTimeout(() => setDone(null), 2000);
    return () => clearTimeout(timer);
  }, [done]);
  return html`<button type="button" class="copy" onClick=${copy}>${done || "Copy"}</button>`;
}

function Definition({ ns, dag, version }) {
  const { value, error } = useFetched(`/api/ns/${enc(ns)}/yaml/dags/${enc(dag)}?definition=1`, version, false);
  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (value === null) return html`<p class="loading">Loading…</p>`;
  return html`<div class="code-card">
    <div class="code-head"><span><b>dag/${dag}</b> <span class="muted">as applied, without its status</span></span>
      <${CopyButton} text=${value} /></div>
    <${YamlBlock} text=${value} label=${`Definition of DAG ${dag}`} /></div>`;
}

function counts(rows) {
  let added = 0;
  let removed = 0;
  for (const r of rows) {
    if (r.kind === "add") added += 1;
    if (r.kind === "del") removed += 1;
  }
  return { added, removed };
}

function RunDefinition({ ns, dag, run, mode, version, base }) {
  const path = run ? `/api/ns/${enc(ns)}/dagruns/${enc(run.name)}/diff` : null;
  const { value, error } = useFetched(path, `${version}|${run && run.dagGeneration}|${run && run.state}`, true);
  if (!run) return null;
  if (error) return html`<p class="error" role="alert">Could not read run ${run.name}: ${error}</p>`;
  if (value === null) return html`<p class="loading">Loading…</p>`;
  if (!value.ran) {
    return html`<p class="note muted">${run.state === "queued"
      ? `Run ${run.name} has not started, so it has no snapshot of the DAG yet: it will run the definition the DAG has when it starts.`
      : `Run ${run.name} kept no snapshot of its DAG.`}</p>`;
  }
  if (mode === "ran") {
    return html`<div class="code-card">
      <div class="code-head"><span><b>spec</b> <span class="muted">run ${run.name} ran with (its snapshot)</span></span>
        <${CopyButton} text=${value.ran} /></div>
      <${YamlBlock} text=${value.ran} label=${`Definition run ${run.name} ran with`} /></div>`;
  }
  if (!value.dagExists) {
    return html`<p class="note warn">DAG ${dag} no longer exists, so there is nothing to compare with.
      <a href=${tabHash(base, "code", { mode: "ran", run: run.name })}>See the definition the run ran with</a>.</p>`;
  }
  if (!value.diff) {
    return html`<p class="note same">No changes since this run: it ran the DAG's current definition.</p>`;
  }
  const rows = parseDiff(value.diff);
  const { added, removed } = counts(rows);
  return html`<div class="code-card">
    <div class="code-head"><span class="diff-summary"><span class="diff-count add">+${added}</span>
      <span class="diff-count del">−${removed}</span>
      <span class="muted">${`lines from what run ${run.name} ran with to the DAG's spec now`}</span></span></div>
    <${DiffBlock} rows=${rows} /></div>`;
}

export function Code({ ns, dag, live, runs, store, params, base }) {
  const mode = MODES.some(([m]) => m === params.mode) ? params.mode : (params.run ? "diff" : "dag");
  const { run, wanted } = pickRun(runs, params);
  const version = live ? live.resourceVersion : null;
  const choose = (m) => { window.location.hash = tabHash(base, "code", { ...params, mode: m }); };
  return html`<div class="code-view">
    <div class="view-bar">
      <span class="segmented" role="tablist">${MODES.map(([m, title]) => html`
        <button type="button" role="tab" aria-selected=${m === mode} class=${m === mode ? "on" : ""}
          onClick=${() => choose(m)}>${title}</button>`)}</span>
      ${mode !== "dag" && html`<${RunPicker} runs=${runs} run=${run} wanted=${wanted} base=${base} tab="code"
        params=${{ ...params, mode }} loaded=${store.loaded.has("dagruns")} />`}
    </div>
    ${mode === "dag" ? html`<${Definition} ns=${ns} dag=${dag} version=${version} />`
      : html`<${RunDefinition} ns=${ns} dag=${dag} run=${run} mode=${mode} version=${version} base=${base} />`}
  </div>`;
}
