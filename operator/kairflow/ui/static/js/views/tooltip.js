// One floating tooltip per view, following the pointer (Gantt rows, calendar days).
// `show(event, what)` keeps what is pointed at; the view renders the content from it
// on every render, so a live change shows in an open tooltip.
import { html, useCallback, useState } from "../lib.js";

const OFFSET = 14;
const WIDTH = 280;

export function useTooltip() {
  const [tip, setTip] = useState(null);
  const show = useCallback((event, what) => {
    setTip({ x: event.clientX, y: event.clientY, what });
  }, []);
  const hide = useCallback(() => setTip(null), []);
  return { tip, show, hide };
}

export function Tooltip({ tip, children }) {
  if (!tip || !children) return null;
  // Keep it on screen: flip to the left of (or above) the pointer near an edge.
  const left = tip.x + OFFSET + WIDTH > window.innerWidth
    ? Math.max(4, tip.x - OFFSET - WIDTH) : tip.x + OFFSET;
  const below = tip.y + 160 < window.innerHeight;
  const style = below ? { left, top: tip.y + OFFSET } : { left, bottom: window.innerHeight - tip.y + OFFSET };
  return html`<div class="kf-tooltip" role="tooltip" style=${style}>${children}</div>`;
}
