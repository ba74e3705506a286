// Airflow's Gantt chart of one run: a row per task instance, a bar per try with its
// queued time (lighter) and running time, coloured by state, on a time axis. Live:
// bars of running tries grow until they end.
import { html, enc, getJson, useEffect, useMemo, useState, fullTime, duration, errorText } from "../lib.js";
import { label } from "../states.js";
import { RunPicker, gridHash, pickRun, useNow, useRunDetail } from "./run_picker.js";
import { domainOf, rowsOf, spans, tickLabel, ticks } from "./gantt_rows.js";
import { Tooltip, useTooltip } from "./tooltip.js";

const ACTIVE_RUN = new Set(["queued", "running"]);

// Earlier tries, read from the run's pods once an instance is retried (and again when
// another is): the live cells carry the current try only.
function useEarlierTries(ns, run) {
  const retried = run ? Object.entries(run.tis || {}).filter(([, c]) => c[1] > 1)
    .map(([k, c]) => `${k}:${c[1]}`).sort().join(",") : "";
  const key = retried ? `${run.name}|${retried}` : null;
  const [found, setFound] = useState({ key: null, tries: [], note: null });
  useEffect(() => {
    if (!key) return undefined;
    let current = true;
    getJson(`/api/ns/${enc(ns)}/dagruns/${enc(run.name)}/tries`)
      .then((r) => current && setFound({ key, tries: r.tries, note: r.note || null }))
      .catch((e) => current && setFound({ key, tries: [], note: errorText(e) }));
    return () => { current = false; };
  }, [ns, key]);
  return found.key === key ? found : { tries: [], note: null };
}

const pct = (t, [low, high]) => `${(((t - low) / (high - low)) * 100).toFixed(3)}%`;
const width = (a, b, domain) => `${(((b - a) / (domain[1] - domain[0])) * 100).toFixed(3)}%`;

const clock = (ms) => new Date(ms).toISOString().slice(11, 19);
const took = ([a, b]) => duration((b - a) / 1000);

function TryLines({ seg, part }) {
  const until = seg.end !== null ? clock(seg.end) : "now";
  return html`<tr><td colspan="2"><b>Try ${seg.try}</b> · ${label(seg.state)}</td></tr>
    ${part.queued && html`<tr><td>Queued</td><td>${`${clock(part.queued[0])} for ${took(part.queued)}`}</td></tr>`}
    ${part.running && html`<tr><td>Running</td><td>${`${clock(part.running[0])} → ${until} (${took(part.running)})`}</td></tr>`}`;
}

function RowTip({ row, now, active, runEnd }) {
  return html`<div class="tip-title">${row.key}</div>
    <table><tbody>${row.segments.map((seg) => html`
      <${TryLines} seg=${seg} part=${spans(seg, now, active, runEnd)} />`)}</tbody></table>`;
}

function Row({ row, domain, now, active, runEnd, base, runName, tooltip }) {
  const parts = row.segments.map((seg) => spans(seg, now, active, runEnd));
  const current = parts[parts.length - 1];
  const took = current.running ? (current.running[1] - current.running[0]) / 1000 : null;
  const show = (event) => tooltip.show(event, row.key);
  return html`<div class="gantt-row" data-key=${row.key} onPointerMove=${show} onPointerDown=${show}
      onPointerLeave=${tooltip.hide}>
    <a class="gantt-label" href=${gridHash(base, runName, row.key)} title=${row.key}>
      <span class=${`swatch s-${row.state}`}></span>${row.key}</a>
    <div class="gantt-track">${row.segments.map((seg, i) => html`
      ${parts[i].queued && html`<div class=${`gbar queued s-${seg.state}`}
        style=${{ left: pct(parts[i].queued[0], domain), width: width(...parts[i].queued, domain) }}></div>`}
      ${parts[i].running && html`<div class=${`gbar running s-${seg.state}${seg.current ? "" : " earlier"}`}
        style=${{ left: pct(parts[i].running[0], domain), width: width(...parts[i].running, domain) }}></div>`}`)}
    </div>
    <div class="gantt-dur">${took !== null ? duration(took) : ""}</div>
  </div>`;
}

function Axis({ domain, tickList, step }) {
  // A label near the right end is drawn to the left of its tick, to stay inside.
  const nearEnd = domain[1] - (domain[1] - domain[0]) * 0.1;
  return html`<div class="gantt-axis">${tickList.map((t) => html`
    <span class=${t > nearEnd ? "tick last" : "tick"} style=${{ left: pct(t, domain) }}>${tickLabel(t, step)}</span>`)}</div>`;
}

// "2 skipped, 1 no status": the instances without a bar, by state.
function hiddenWords(rows) {
  const counts = new Map();
  for (const row of rows) if (!row.started) counts.set(row.state, (counts.get(row.state) || 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${label(state)}`).join(", ");
}

export function Gantt({ ns, detail, runs, store, params, base }) {
  const { run, wanted } = pickRun(runs, params);
  const runDetail = useRunDetail(ns, run);
  const structure = (runDetail.detail && runDetail.detail.structure) || (detail && detail.structure);
  const earlier = useEarlierTries(ns, run);
  const active = Boolean(run && ACTIVE_RUN.has(run.state));
  const now = useNow(active);
  const tooltip = useTooltip();
  const all = useMemo(() => rowsOf(structure && structure.tasks, run, earlier.tries), [structure, run, earlier.tries]);
  const rows = all.filter((r) => r.started);
  const domain = domainOf(rows, run, now, active);
  const runEnd = run ? Date.parse(run.endDate || "") || null : null;
  const pointed = tooltip.tip && rows.find((r) => r.key === tooltip.tip.what);
  const phone = window.innerWidth < 700;
  const axis = domain && ticks(domain[0], domain[1], phone ? 4 : 8);
  return html`<div class="gantt-view">
    <div class="view-bar">
      <${RunPicker} runs=${runs} run=${run} wanted=${wanted} base=${base} tab="gantt" params=${params}
        loaded=${store.loaded.has("dagruns")} />
      ${run && run.startDate && html`<span class="muted run-took">Started ${fullTime(run.startDate)}
        ${domain && ` · ${active ? "running for" : "took"} ${duration(((run.endDate ? Date.parse(run.endDate) : now) - Date.parse(run.startDate)) / 1000)}`}</span>`}
    </div>
    ${earlier.note && html`<p class="note warn">Earlier tries are not shown: ${earlier.note}</p>`}
    ${run && !rows.length && html`<p class="empty">No task instance of this run has been queued yet.</p>`}
    ${domain && rows.length > 0 && html`<div class="gantt" onPointerLeave=${tooltip.hide}>
      <div class="gantt-head"><div class="gantt-label">Task instance</div>
        <${Axis} domain=${domain} tickList=${axis.ticks} step=${axis.step} />
        <div class="gantt-dur">Duration</div></div>
      <div class="gantt-body">
        <div class="gantt-grid">${axis.ticks.map((t) => html`<span style=${{ left: pct(t, domain) }}></span>`)}
          ${active && html`<span class="now" style=${{ left: pct(now, domain) }}></span>`}</div>
        ${rows.map((row) => html`<${Row} key=${row.key} row=${row} domain=${domain} now=${now} active=${active}
          runEnd=${runEnd} base=${base} runName=${run.name} tooltip=${tooltip} />`)}
      </div>
    </div>
    <div class="legend">
      <span class="legend-item"><span class="swatch s-success gantt-queued-swatch"></span>queued</span>
      <span class="legend-item"><span class="swatch s-success"></span>running (coloured by state)</span>
      ${all.length > rows.length && html`<span>Not shown (never queued): ${hiddenWords(all)}</span>`}
      <span>Times in UTC</span>
    </div>`}
    <${Tooltip} tip=${tooltip.tip}>${pointed && html`<${RowTip} row=${pointed} now=${now} active=${active}
      runEnd=${runEnd} />`}<//>
  </div>`;
}
