// What the action dialogs share: an action's busy/error state, the error line (a 403
// says which permission is missing, in the API server's words), a preview fetched
// again whenever its request changes, and the list of task instances a request acts on.
import { html, useEffect, useRef, useState, send, errorText } from "../lib.js";
import { stateClass, label } from "../states.js";

// Rows of a long list the dialog draws; the count says how many more there are.
const SHOWN = 500;

export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const act = async (work) => {
    setBusy(true);
    setError(null);
    try {
      return await work();
    } catch (failure) {
      setError(failure);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, act };
}

export function Problem({ error }) {
  if (!error) return null;
  return html`<p class="error dialog-error" role="alert">${errorText(error)}</p>`;
}

// POST `path` with `body` whenever the body changes (after `delay` ms, so typing a
// date does not ask on every key); only the latest answer is kept.
export function usePreview(path, body, { delay = 0, enabled = true } = {}) {
  const [state, setState] = useState({ preview: null, error: null, loading: enabled });
  const latest = useRef(0);
  const key = JSON.stringify(body);
  useEffect(() => {
    if (!enabled) { setState({ preview: null, error: null, loading: false }); return undefined; }
    const ticket = ++latest.current;
    setState((before) => ({ ...before, loading: true }));
    const timer = setTimeout(() => {
      send("POST", path, body).then(
        (preview) => { if (ticket === latest.current) setState({ preview, error: null, loading: false }); },
        (error) => { if (ticket === latest.current) setState({ preview: null, error, loading: false }); },
      );
    }, delay);
    return () => clearTimeout(timer);
  }, [path, key, enabled]);
  return state;
}

export function go(hash) {
  window.location.hash = hash;
}

export function More({ shown, total, what }) {
  if (total <= shown) return null;
  return html`<p class="muted more">…and ${total - shown} more ${what} (${total} in all).</p>`;
}

// The task instances a clear or mark acts on: key, state now, try.
export function TaskInstanceList({ items }) {
  const shown = items.slice(0, SHOWN);
  return html`<div class="preview-list"><table class="preview">
    <thead><tr><th>Task instance</th><th>State</th><th>Try</th></tr></thead>
    <tbody>${shown.map((ti) => html`<tr key=${ti.key}>
      <td class="mono">${ti.key}</td>
      <td><span class=${`pill ${stateClass(ti.state)}`}>${label(ti.state)}</span></td>
      <td>${ti.tryNumber}</td></tr>`)}</tbody>
  </table><${More} shown=${shown.length} total=${items.length} what="task instances" /></div>`;
}

// An ISO time as a wall time in `zone` ("2024-01-01 09:00"), as the CLI prints plans.
export function zoned(iso, zone) {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso || "";
  try {
    const parts = new Intl.DateTimeFormat("en-CA", {
      timeZone: zone || "UTC", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(ms));
    const part = Object.fromEntries(parts.map((p) => [p.type, p.value]));
    return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}`;
  } catch (_) {
    return new Date(ms).toISOString().replace("T", " ").slice(0, 16);
  }
}

// Which field a server error is about, when it starts with the field's name
// ("to: invalid date 'soon'"), so the dialog can show it next to that field.
export function fieldOf(error, fields) {
  const message = error && error.message ? error.message : "";
  const name = message.split(":", 1)[0];
  return fields.includes(name) ? name : null;
}

export function FieldError({ text }) {
  if (!text) return null;
  return html`<span class="field-error" role="alert">${text}</span>`;
}

export function Buttons({ onClose, children }) {
  return html`<div class="buttons">
    <button type="button" onClick=${onClose}>Cancel</button>${children}</div>`;
}
