// Pan (drag) and zoom (wheel, buttons) of an SVG drawing. The transform is set on the
// drawing's <g> directly, not through render state: moving a graph of hundreds of nodes
// must not re-render them.
import { useCallback, useRef } from "../lib.js";

const MIN_SCALE = 0.05;
const MAX_SCALE = 4;
const DRAG_SLOP = 4; // pixels a press may move and still be a click

export function usePanZoom() {
  const svg = useRef(null);
  const layer = useRef(null);
  const view = useRef({ x: 0, y: 0, k: 1 });
  const press = useRef(null);
  const dragged = useRef(false);

  const apply = useCallback(() => {
    const { x, y, k } = view.current;
    if (layer.current) layer.current.setAttribute("transform", `translate(${x},${y}) scale(${k})`);
  }, []);

  const zoomAt = useCallback((px, py, factor) => {
    const { x, y, k } = view.current;
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, k * factor));
    view.current = { x: px - ((px - x) * next) / k, y: py - ((py - y) * next) / k, k: next };
    apply();
  }, [apply]);

  const zoomCentre = useCallback((factor) => {
    if (!svg.current) return;
    const box = svg.current.getBoundingClientRect();
    zoomAt(box.width / 2, box.height / 2, factor);
  }, [zoomAt]);

  // Whole drawing in view, never enlarged past 1.25x. A drawing that would be shrunk
  // below `tiny` (a big graph, or a phone) opens at scale `readable` instead, at its
  // start: left and middle.
  const fit = useCallback((width, height, tiny = 0, readable = 0) => {
    if (!svg.current || !width || !height) return;
    const box = svg.current.getBoundingClientRect();
    const whole = Math.min(1.25, (box.width - 24) / width, (box.height - 24) / height);
    const k = Math.max(MIN_SCALE, whole < tiny ? readable : whole);
    const x = k > whole ? 12 : (box.width - width * k) / 2;
    view.current = { x, y: (box.height - height * k) / 2, k };
    apply();
  }, [apply]);

  const onWheel = useCallback((event) => {
    event.preventDefault();
    const box = svg.current.getBoundingClientRect();
    zoomAt(event.clientX - box.left, event.clientY - box.top, Math.exp(-event.deltaY * 0.0015));
  }, [zoomAt]);

  const onPointerDown = useCallback((event) => {
    if (event.button !== 0) return;
    press.current = { id: event.pointerId, x: event.clientX, y: event.clientY, from: { ...view.current }, captured: false };
    dragged.current = false;
  }, []);

  const onPointerMove = useCallback((event) => {
    const p = press.current;
    if (!p || p.id !== event.pointerId) return;
    const dx = event.clientX - p.x;
    const dy = event.clientY - p.y;
    if (!p.captured) {
      if (Math.hypot(dx, dy) < DRAG_SLOP) return;
      // Captured only once it is a drag, so a press on a node stays that node's click.
      svg.current.setPointerCapture(event.pointerId);
      p.captured = true;
      dragged.current = true;
      svg.current.classList.add("dragging");
    }
    view.current = { ...view.current, x: p.from.x + dx, y: p.from.y + dy };
    apply();
  }, [apply]);

  const onPointerUp = useCallback((event) => {
    const p = press.current;
    if (p && p.captured && svg.current.hasPointerCapture(event.pointerId)) {
      svg.current.releasePointerCapture(event.pointerId);
    }
    if (svg.current) svg.current.classList.remove("dragging");
    press.current = null;
  }, []);

  return {
    svg, layer, apply, fit, zoomCentre,
    wasDrag: () => dragged.current,
    handlers: { onWheel, onPointerDown, onPointerMove, onPointerUp, onPointerCancel: onPointerUp },
  };
}
