// The DAG's "Backfills" tab: each Backfill live from the page's stream, with its state,
// range, options, progress and the runs it made so far, and a Stop button.
import { html, shortTime } from "../lib.js";
import { openDialog } from "../dialogs.js";

const FINISHED = new Set(["completed", "failed"]);

function Progress({ status }) {
  const total = status.total;
  if (total === null || total === undefined) return html`<span class="muted">not planned yet</span>`;
  const pct = (n) => `${total ? Math.round((100 * (n || 0)) / total) : 100}%`;
  const started = Math.max(0, (status.created || 0) - (status.succeeded || 0) - (status.failed || 0));
  return html`<div class="progress" role="img"
      aria-label=${`${status.created || 0} of ${total} runs started, ${status.succeeded || 0} succeeded, ${status.failed || 0} failed`}>
    <div class="bar"><span class="seg st-success" style=${{ width: pct(status.succeeded) }}></span><span
      class="seg st-failed" style=${{ width: pct(status.failed) }}></span><span
      class="seg st-running" style=${{ width: pct(started) }}></span></div>
    <span class="counts">${status.created || 0}/${total} started · ${status.succeeded || 0} succeeded
      · ${status.failed || 0} failed</span>
  </div>`;
}

function runsOf(backfill, runs) {
  const mine = runs.filter((run) => run.backfill === backfill.name);
  const active = mine.filter((run) => run.state === "running" || run.state === "queued").length;
  return { count: mine.length, active };
}

function BackfillRow({ ns, backfill, runs }) {
  const spec = backfill.spec || {};
  const status = backfill.status || {};
  const state = status.state || "pending";
  const finished = FINISHED.has(state);
  const made = runsOf(backfill, runs);
  // The status keeps a count and the next date, not the dates (it stays small).
  const pending = status.remaining || 0;
  return html`<tr key=${backfill.name} data-backfill=${backfill.name}>
    <td class="mono name">${backfill.name}</td>
    <td><span class=${`pill bf-${state}`}>${state}</span></td>
    <td class="range"><span class="mono">${spec.from}</span> → <span class="mono">${spec.to}</span>
      <div class="muted small">reprocess ${spec.reprocess || "none"}${spec.runBackwards ? ", backwards" : ""}${spec.maxActiveRuns ? `, at most ${spec.maxActiveRuns} at once` : ""}</div></td>
    <td><${Progress} status=${status} />
      ${status.message && html`<div class="problem small">${status.message}</div>`}</td>
    <td>${made.count}${made.active ? html` <span class="muted">(${made.active} in flight)</span>` : ""}
      ${pending > 0 && html`<div class="muted small">${pending} to start${status.nextLogicalDate
        ? html`, next <span class="mono">${status.nextLogicalDate}</span>` : ""}</div>`}</td>
    <td class="muted">${shortTime(backfill.created)}</td>
    <td><button class=${finished ? "" : "danger"}
      onClick=${() => openDialog("stopBackfill", { ns, backfill: backfill.name, finished })}>
      ${finished ? "Delete" : "Stop"}</button></td>
  </tr>`;
}

export function Backfills({ ns, dag, store, runs }) {
  const list = [...store.backfills.values()]
    .sort((a, b) => (b.created || "").localeCompare(a.created || "") || a.name.localeCompare(b.name));
  const loading = !store.loaded.has("backfills");
  return html`<div class="backfills">
    <div class="tab-actions">
      <button class="primary" onClick=${() => openDialog("backfill", { ns, dag })}>Backfill…</button>
    </div>
    ${store.errors.backfills && html`<p class="error" role="alert">${store.errors.backfills}</p>`}
    ${loading && !store.errors.backfills && html`<p class="loading">Loading…</p>`}
    ${!loading && !list.length && !store.errors.backfills && html`<p class="empty">No backfills
      of this DAG. A backfill runs the DAG over past dates.</p>`}
    ${list.length > 0 && html`<table class="backfill-list">
      <thead><tr><th>Backfill</th><th>State</th><th>Range</th><th>Progress</th><th>Runs</th>
        <th>Created</th><th></th></tr></thead>
      <tbody>${list.map((b) => html`<${BackfillRow} key=${b.name} ns=${ns} backfill=${b} runs=${runs} />`)}</tbody>
    </table>`}
  </div>`;
}
