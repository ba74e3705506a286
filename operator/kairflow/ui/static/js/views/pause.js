// Airflow's on/off toggle: pausing stops new scheduled runs (runs in flight go on).
import { html, useState, send, nsPath, enc, errorText } from "../lib.js";

export function PauseToggle({ ns, dag }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const flip = async () => {
    setBusy(true); setError(null);
    try {
      await send("POST", `${nsPath(ns)}/dags/${enc(dag.name)}/paused`, { paused: !dag.paused });
    } catch (e) { setError(errorText(e)); }
    setBusy(false);
  };
  return html`<span class="toggle-wrap">
    <button role="switch" aria-checked=${!dag.paused} disabled=${busy}
      class=${`toggle ${dag.paused ? "off" : "on"}`} onClick=${flip}
      title=${dag.paused ? "Paused: click to unpause" : "Active: click to pause"}
      aria-label=${`${dag.paused ? "Unpause" : "Pause"} DAG ${dag.name}`}></button>
    ${error && html`<span class="error inline" role="alert">${error}</span>`}</span>`;
}
