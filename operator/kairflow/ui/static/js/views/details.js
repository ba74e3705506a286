// Airflow's "Details" tab: the DAG's settings, params, conditions and recent Events.
import { html, useEffect, useState, getJson, enc, fullTime, errorText } from "../lib.js";

const SETTINGS = [
  ["schedule", "Schedule"], ["timezone", "Time zone"], ["tasks", "Tasks"],
  ["activeRuns", "Active runs"],
];

export function Details({ ns, dag, detail, live }) {
  const [events, setEvents] = useState(null);
  const [problem, setProblem] = useState(null);
  const version = live ? live.resourceVersion : null;
  useEffect(() => {
    getJson(`/api/ns/${enc(ns)}/events/${enc(dag)}`).then((r) => setEvents(r.events))
      .catch((e) => setProblem(errorText(e)));
  }, [ns, dag, version]);
  const info = live || detail;
  if (!info) return html`<p class="loading">Loading…</p>`;
  return html`<div class="details">
    <table class="kv"><tbody>
      ${SETTINGS.map(([key, title]) => html`<tr><th>${title}</th><td>${String(info[key] ?? "")}</td></tr>`)}
      <tr><th>Schedule in words</th><td>${info.scheduleWords}</td></tr>
      ${Object.keys(info.queuedAssetEvents || {}).length > 0 && html`<tr><th>Assets</th><td>
        ${Object.entries(info.queuedAssetEvents).map(([uri, n]) => html`<div>${uri}: ${n
          ? `${n} event${n > 1 ? "s" : ""} queued` : "waiting"}</div>`)}</td></tr>`}
      <tr><th>Paused</th><td>${info.paused ? "yes" : "no"}</td></tr>
      <tr><th>Ready</th><td>${info.ready ? `${info.ready.status}${info.ready.message ? `: ${info.ready.message}` : ""}` : "not yet observed"}</td></tr>
    </tbody></table>
    <h2>Params</h2>
    ${Object.keys(info.params || {}).length
      ? html`<pre class="code">${JSON.stringify(info.params, null, 2)}</pre>`
      : html`<p class="muted">No params.</p>`}
    <h2>Events</h2>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    ${events && !events.length && html`<p class="muted">No recent events.</p>`}
    ${events && events.length > 0 && html`<table class="events"><thead><tr><th>Type</th><th>Reason</th>
      <th>Message</th><th>Last seen</th></tr></thead><tbody>
      ${events.map((e) => html`<tr class=${e.type === "Warning" ? "warning" : ""}><td>${e.type}</td>
        <td>${e.reason}</td><td>${e.message}</td><td>${fullTime(e.last)}</td></tr>`)}
    </tbody></table>`}
  </div>`;
}
