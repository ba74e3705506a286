// "Backfill": run the DAG over past logical dates (`kairflow backfill create`). The
// dry run lists every date in the range and what happens to it (the operator's own
// plan), asked again as the dates and options change; Create writes the Backfill.
import { html, useState, send, nsPath, enc } from "../lib.js";
import {
  Buttons, FieldError, More, Problem, fieldOf, go, useAction, usePreview, zoned,
} from "./dialog_parts.js";
import { Checkbox } from "./task_request_dialog.js";
import { readConf } from "./param_form.js";

const REPROCESS = [
  ["none", "Skip dates that already have a run"],
  ["failed", "Rerun dates whose run failed"],
  ["completed", "Rerun failed and successful runs"],
];
const FIELDS = ["from", "to", "reprocess", "maxActiveRuns", "name", "conf", "runBackwards"];

function Plan({ state, timezone }) {
  const { preview, error, loading } = state;
  if (error && !fieldOf(error, FIELDS)) return html`<${Problem} error=${error} />`;
  if (!preview) return loading ? html`<p class="loading">Planning…</p>` : null;
  return html`<div class="plan">
    <p class="preview-summary" role="status">${preview.summary}${loading ? " (updating…)" : ""}</p>
    ${preview.nothing && html`<p class="note">${preview.nothing}.</p>`}
    <div class="preview-list"><table class="preview">
      <thead><tr><th>Logical date</th><th>Data interval end</th><th>Action</th><th>Why</th></tr></thead>
      <tbody>${preview.dates.map((d) => html`<tr key=${d.logical_date} class=${`action-${d.action}`}>
        <td class="mono">${zoned(d.logical_date, timezone || preview.timezone)}</td>
        <td class="mono">${zoned(d.data_interval_end, timezone || preview.timezone)}</td>
        <td><span class=${`action ${d.action}`}>${d.action}</span></td>
        <td class="muted">${d.reason}</td></tr>`)}</tbody>
    </table><${More} shown=${preview.dates.length} total=${preview.total} what="dates" /></div>
  </div>`;
}

export function BackfillDialog({ ns, dag, onClose }) {
  const [form, setForm] = useState({
    from: "", to: "", reprocess: "none", maxActiveRuns: "", runBackwards: false, name: "",
    conf: "",
  });
  const set = (key) => (value) => setForm({ ...form, [key]: value });
  const text = (key) => (event) => set(key)(event.target.value);
  const conf = readConf(form.conf);
  const body = {
    from: form.from, to: form.to, reprocess: form.reprocess,
    maxActiveRuns: form.maxActiveRuns === "" ? null : Number(form.maxActiveRuns),
    runBackwards: form.runBackwards, name: form.name || null,
    conf: conf.error || !form.conf.trim() ? null : conf.conf,
  };
  const complete = Boolean(form.from.trim() && form.to.trim()) && !conf.error;
  const base = `${nsPath(ns)}/dags/${enc(dag)}/backfills`;
  const state = usePreview(`${base}/preview`, body, { delay: 350, enabled: complete });
  const { busy, error, act } = useAction();
  const wrong = fieldOf(error, FIELDS) || fieldOf(state.error, FIELDS);
  const wrongText = (error || state.error || {}).message;
  const problem = (key) => (wrong === key ? wrongText : null);
  const canCreate = complete && state.preview && state.preview.runs > 0 && !state.loading;

  const submit = async (event) => {
    event.preventDefault();
    const created = await act(() => send("POST", base, body));
    if (created) {
      onClose();
      go(`#/ns/${enc(ns)}/dags/${enc(dag)}/backfills`);
    }
  };
  return html`<form class="action-dialog backfill-dialog" onSubmit=${submit}>
    <h2>Backfill <span class="mono">${dag}</span></h2>
    <p class="hint">Runs the DAG for every logical date of its schedule from the first
      date to the last, both included (naive dates are in the DAG's time zone).</p>
    <div class="row">
      <div class=${`field${problem("from") ? " invalid" : ""}`}>
        <label for="backfill-from">From</label>
        <input id="backfill-from" type="text" placeholder="2024-01-01" value=${form.from}
          onInput=${text("from")} autocomplete="off" />
        <${FieldError} text=${problem("from")} />
      </div>
      <div class=${`field${problem("to") ? " invalid" : ""}`}>
        <label for="backfill-to">To</label>
        <input id="backfill-to" type="text" placeholder="2024-01-31" value=${form.to}
          onInput=${text("to")} autocomplete="off" />
        <${FieldError} text=${problem("to")} />
      </div>
    </div>
    <div class="row">
      <div class="field">
        <label for="backfill-reprocess">Dates with a run</label>
        <select id="backfill-reprocess" value=${form.reprocess} onChange=${text("reprocess")}>
          ${REPROCESS.map(([value, words]) => html`<option value=${value}>${words}</option>`)}
        </select>
      </div>
      <div class=${`field${problem("maxActiveRuns") ? " invalid" : ""}`}>
        <label for="backfill-max">Max active runs</label>
        <input id="backfill-max" type="number" min="1" placeholder="the DAG's"
          value=${form.maxActiveRuns} onInput=${text("maxActiveRuns")} />
        <${FieldError} text=${problem("maxActiveRuns")} />
      </div>
    </div>
    <div class="options"><${Checkbox} checked=${form.runBackwards} onChange=${set("runBackwards")}
      hint="Newest date first (refused when a task depends on its past)">Run backwards</${Checkbox}></div>
    <details class="more-options">
      <summary>Name and conf</summary>
      <div class=${`field${problem("name") ? " invalid" : ""}`}>
        <label for="backfill-name">Name <span class="muted">(default: DAG-FROM-TO)</span></label>
        <input id="backfill-name" type="text" value=${form.name} onInput=${text("name")}
          placeholder=${state.preview ? state.preview.name : ""} autocomplete="off" />
        <${FieldError} text=${problem("name")} />
      </div>
      <div class=${`field${conf.error ? " invalid" : ""}`}>
        <label for="backfill-conf">Conf of every run <span class="muted">(a JSON object)</span></label>
        <textarea id="backfill-conf" class="mono" rows="3" spellcheck="false" value=${form.conf}
          onInput=${text("conf")}></textarea>
        <${FieldError} text=${form.conf.trim() ? conf.error : null} />
      </div>
    </details>
    <h3>Dry run</h3>
    ${!complete && html`<p class="muted">Enter the first and last dates to see the dates it would run.</p>`}
    ${complete && html`<${Plan} state=${state} />`}
    ${complete && wrong && html`<p class="muted">Correct the field above to see the dates.</p>`}
    ${!wrong && html`<${Problem} error=${error} />`}
    <${Buttons} onClose=${onClose}>
      <button type="submit" class="primary" disabled=${!canCreate || busy}>
        ${busy ? "Creating…" : state.preview && state.preview.runs > 0
          ? `Create backfill (${state.preview.runs} run${state.preview.runs === 1 ? "" : "s"})`
          : "Create backfill"}</button>
    </${Buttons}>
  </form>`;
}
