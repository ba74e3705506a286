// Modal dialogs, opened from anywhere by name: `openDialog("clear", {ns, run, task})`.
// The dialog components are registered in views/dialog_registry.js; the host renders
// the open one, and Escape or the backdrop closes it.
import { html, useEffect, useState } from "./lib.js";
import { DIALOGS } from "./views/dialog_registry.js";

const EVENT = "kairflow:dialog";

export function openDialog(name, props = {}) {
  window.dispatchEvent(new CustomEvent(EVENT, { detail: { name, props } }));
}

export function closeDialog() {
  window.dispatchEvent(new CustomEvent(EVENT, { detail: null }));
}

export function DialogHost() {
  const [open, setOpen] = useState(null);
  useEffect(() => {
    const listen = (event) => setOpen(event.detail);
    const escape = (event) => { if (event.key === "Escape") setOpen(null); };
    window.addEventListener(EVENT, listen);
    window.addEventListener("keydown", escape);
    return () => {
      window.removeEventListener(EVENT, listen);
      window.removeEventListener("keydown", escape);
    };
  }, []);
  if (!open) return null;
  const Dialog = DIALOGS[open.name];
  const close = () => setOpen(null);
  const backdrop = (event) => { if (event.target === event.currentTarget) close(); };
  return html`<div class="dialog-backdrop" onClick=${backdrop}>
    <div class="dialog" role="dialog" aria-modal="true">
      ${Dialog ? html`<${Dialog} ...${open.props} onClose=${close} />`
        : html`<p class="error">Unknown dialog ${open.name}.</p>
               <div class="buttons"><button onClick=${close}>Close</button></div>`}
    </div></div>`;
}
