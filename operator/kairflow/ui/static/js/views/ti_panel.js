// A task instance beside the grid: its state, tries, times, exit code and message
// (live from the page's stream), the rendered command and XCom (read when it opens or
// changes), its actions, and the log of the selected try.
import { html, useEffect, useState, getJson, send, nsPath, enc, between, duration, fullTime, errorText } from "../lib.js";
import { openDialog } from "../dialogs.js";
import { STATE, TRY, START, END, QUEUED } from "./grid_model.js";
import { Row, StatePill } from "./run_panel.js";
import { LogView } from "./log_view.js";

const PANES = [["details", "Details"], ["log", "Log"], ["xcom", "XCom"]];

export function instancePath(ns, run, key) {
  return `${nsPath(ns)}/dagruns/${enc(run)}/tis/${enc(key)}`;
}

const CALLBACK_POLL_MS = 2000;

// A callback still to finish: it runs after its task's state changed, so the stream's
// cell (the stamp below) no longer changes when it ends.
export function callbacksPending(data) {
  return !!data && (data.callbacks || []).some((cb) => cb.state === "queued" || cb.state === "running");
}

// Details the stream does not carry, read again whenever the instance's state or try
// changes, and every few seconds while one of its callbacks is still to finish.
function useInstance(ns, run, key, cell) {
  const [found, setFound] = useState({ data: null, error: null });
  const [reads, setReads] = useState(0);
  const stamp = cell ? `${cell[STATE]}/${cell[TRY]}/${cell[END] || ""}` : "";
  useEffect(() => {
    let live = true;
    getJson(instancePath(ns, run, key))
      .then((data) => { if (live) setFound({ data, error: null }); })
      .catch((error) => { if (live) setFound({ data: null, error }); });
    return () => { live = false; };
  }, [ns, run, key, stamp, reads]);
  const pending = callbacksPending(found.data);
  useEffect(() => {
    if (!pending) return undefined;
    const timer = setTimeout(() => setReads((n) => n + 1), CALLBACK_POLL_MS);
    return () => clearTimeout(timer);
  }, [pending, found]);
  return found;
}

// `bash -c SCRIPT` reads best as the command line, then the script as written.
function Command({ command }) {
  if (!command || !command.length) return html`<p class="muted">No pod to read it from (not started, or cleaned up).</p>`;
  const last = command[command.length - 1];
  const script = command.length > 1 && (last.includes("\n") || last.length > 60);
  const quote = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`);
  const line = (script ? command.slice(0, -1) : command).map(quote).join(" ");
  return html`<pre class="code p-command">${script ? `${line} "$SCRIPT"` : line}</pre>
    ${script && html`<div class="p-kicker">SCRIPT</div><pre class="code p-command">${last.replace(/\n$/, "")}</pre>`}`;
}

function Times({ cell, instance }) {
  const queued = cell[QUEUED];
  const start = cell[START];
  const end = cell[END];
  return html`
    <${Row} name="Queued at">${fullTime(queued)}<//>
    <${Row} name="Started">${fullTime(start)}<//>
    <${Row} name="Ended">${fullTime(end)}<//>
    ${queued && start && html`<${Row} name="Queued for">${duration(between(queued, start))}<//>`}
    <${Row} name="Duration">${start ? duration(between(start, end)) : ""}<//>
    ${instance && instance.nextTryAt && html`<${Row} name="Next try at">${fullTime(instance.nextTryAt)}<//>`}`;
}

function Details({ ns, run, taskKey, cell, found }) {
  const instance = found.data && found.data.instance;
  const tries = instance && instance.maxTries ? `${cell[TRY]} of ${instance.maxTries}` : String(cell[TRY]);
  return html`<div class="p-details">
    ${instance && instance.message && html`<p class=${`p-message${cell[STATE] === "failed" ? " error" : ""}`}>${instance.message}</p>`}
    ${waitsForApproval(cell, instance) && html`<${Approval} ns=${ns} run=${run} taskKey=${taskKey} />`}
    <table class="kv p-kv"><tbody>
      <${Row} name="State"><${StatePill} state=${cell[STATE]} /><//>
      <${Row} name="Try">${tries}<//>
      ${instance && instance.mapIndex !== undefined && instance.mapIndex !== null
        && html`<${Row} name="Map index">${String(instance.mapIndex)}<//>`}
      <${Times} cell=${cell} instance=${instance} />
      <${Row} name="Exit code">${instance && instance.exitCode !== undefined && instance.exitCode !== null ? String(instance.exitCode) : ""}<//>
      ${instance && instance.pokes && html`<${Row} name="Sensor pokes">${String(instance.pokes)}<//>`}
      <${Row} name="Pod"><span class="mono">${(instance && instance.pod) || ""}</span><//>
      ${instance && instance.triggeredRun && html`<${Row} name="Triggered run"><span class="mono">${instance.triggeredRun}</span><//>`}
      ${instance && instance.approval && html`<${Row} name="Decision">${instance.approval.outcome} by ${instance.approval.by || "?"} at ${fullTime(instance.approval.at)}${instance.approval.comment ? `: ${instance.approval.comment}` : ""}<//>`}
    </tbody></table>
    ${found.error && found.error.status !== 404 && html`<p class="error" role="alert">${errorText(found.error)}</p>`}
    ${found.data && found.data.callbacks && found.data.callbacks.length > 0 && html`<${Callbacks} callbacks=${found.data.callbacks} />`}
    <h3>Rendered command</h3>
    ${found.data ? html`<${Command} command=${found.data.command} />` : html`<p class="loading">Loading…</p>`}
  </div>`;
}

// The task instance's callbacks (onFailure, onRetry...): each a pod of its own.
function Callbacks({ callbacks }) {
  return html`<h3>Callbacks</h3>
    <table class="kv p-kv p-callbacks"><tbody>${callbacks.map((cb) => html`
      <${Row} name=${`${cb.kind} · try ${cb.tryNumber}${cb.name ? ` · ${cb.name}` : ""}`}>
        <${StatePill} state=${cb.state} />
        ${cb.pod && html` <span class="mono">${cb.pod}</span>`}
        ${cb.message && html`<div class=${cb.state === "failed" ? "error" : "muted"}>${cb.message}</div>`}
      <//>`)}</tbody></table>`;
}

// An approval task waiting for an answer: Approve / Reject write the run's
// spec.approvals, as `kairflow tasks approve|reject` does (RBAC decides who may).
export function waitsForApproval(cell, instance) {
  return cell[STATE] === "deferred" && !!instance && (instance.message || "").startsWith("awaiting approval");
}

function Approval({ ns, run, taskKey }) {
  const [sent, setSent] = useState({ busy: false, error: null, done: null });
  const answer = (verb) => {
    setSent({ busy: true, error: null, done: null });
    send("POST", `${instancePath(ns, run, taskKey)}/${verb}`, {})
      .then(() => setSent({ busy: false, error: null, done: verb }))
      .catch((error) => setSent({ busy: false, error, done: null }));
  };
  return html`<div class="p-approval">
    <button disabled=${sent.busy || sent.done} onClick=${() => answer("approve")}>Approve</button>
    <button disabled=${sent.busy || sent.done} onClick=${() => answer("reject")}>Reject</button>
    ${sent.done && html`<span class="muted">${sent.done === "approve" ? "approved" : "rejected"}: the operator applies it</span>`}
    ${sent.error && html`<p class="error" role="alert">${errorText(sent.error)}</p>`}
  </div>`;
}

function XCom({ found }) {
  const instance = found.data && found.data.instance;
  if (!found.data) return html`<p class="loading">Loading…</p>`;
  // A big XCom lives in a ConfigMap (instance.xcomRef); the server reads it for us.
  const ref = instance && instance.xcomRef;
  const value = ref ? found.data.xcom : instance && instance.xcom;
  if (ref && found.data.xcomError) {
    return html`<p class="error" role="alert">${found.data.xcomError}</p>`;
  }
  if (value === undefined || value === null) {
    return html`<p class="muted">No XCom (the task returned nothing, or has not finished).</p>`;
  }
  const where = ref ? ` · ${ref.size} bytes, kept in ConfigMap ${ref.configMap}` : "";
  return html`<div><div class="p-kicker">return_value${where}</div>
    <pre class="code p-json">${JSON.stringify(value, null, 2)}</pre></div>`;
}

export function TiPanel({ ns, dag, run, taskKey, pane, go }) {
  const cell = run.tis ? run.tis[taskKey] : null;
  const found = useInstance(ns, run.name, taskKey, cell);
  const current = PANES.some(([id]) => id === pane) ? pane : "details";
  const props = { ns, dag, run: run.name, runId: run.runId };
  return html`<section class="panel ti-panel" aria-label="Task instance">
    <header class="p-head">
      <div class="p-kicker">Task instance</div>
      <h2 class="p-title"><span class="mono p-key">${taskKey}</span>
        ${cell && html`<${StatePill} state=${cell[STATE]} />`}</h2>
      <div class="p-sub">in run <button class="link" onClick=${() => go({ task: null })}>
        ${run.runId || run.name}</button></div>
      ${cell && html`<div class="p-actions">
        <button onClick=${() => openDialog("clear", { ...props, tasks: [taskKey] })}>Clear…</button>
        <button onClick=${() => openDialog("mark", { ...props, tasks: [taskKey], state: "success" })}>Mark success</button>
        <button onClick=${() => openDialog("mark", { ...props, tasks: [taskKey], state: "failed" })}>Mark failed</button>
      </div>`}
    </header>
    ${!cell && html`<p class="muted">Run ${run.runId || run.name} has no task instance ${taskKey}.</p>`}
    ${cell && html`<nav class="p-tabs" role="tablist">${PANES.map(([id, title]) => html`
      <button role="tab" aria-selected=${id === current} class=${id === current ? "active" : ""}
        onClick=${() => go({ pane: id === "details" ? null : id })}>${title}</button>`)}</nav>`}
    ${cell && current === "details" && html`<${Details} ns=${ns} run=${run.name} taskKey=${taskKey} cell=${cell} found=${found} />`}
    ${cell && current === "xcom" && html`<${XCom} found=${found} />`}
    ${cell && current === "log" && html`<${LogView} key=${`${run.name}/${taskKey}`}
      path=${instancePath(ns, run.name, taskKey)} state=${cell[STATE]} tryNumber=${cell[TRY]} />`}
  </section>`;
}
