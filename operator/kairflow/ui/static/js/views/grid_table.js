// The grid itself: a duration bar per run on top, a row per task, a cell per task
// instance. Only the rows in view are rendered (fixed row height, positioned by the
// scroll offset), and one delegated listener serves every cell, bar and row name, so a
// 5,000-task DAG costs what the ~40 rows on screen cost.
import { html, useEffect, useLayoutEffect, useRef, useState } from "../lib.js";
import { between, duration, fullTime, shortTime } from "../lib.js";
import { label } from "../states.js";
import { START, END, QUEUED } from "./grid_model.js";

export const ROW = 22;
export const COL = 18;
const OVERSCAN = 8;
const BAR_MAX = 64;

function runDuration(run, now) {
  if (!run.startDate) return 0;
  return between(run.startDate, run.endDate, now) || 0;
}

// Every few runs (as many as fit), the logical date under the bars: the time of day
// when the shown runs span less than two days, else the date.
function tickEvery(count) {
  return count <= 6 ? 3 : count <= 30 ? 5 : count <= 60 ? 10 : 25;
}

function tickText(runs) {
  const times = runs.map((r) => r.logicalDate).filter(Boolean).sort();
  const span = times.length ? Date.parse(times[times.length - 1]) - Date.parse(times[0]) : 0;
  return span < 2 * 86400 * 1000 ? (run) => shortTime(run.logicalDate).slice(11, 16)
    : (run) => shortTime(run.logicalDate).slice(5, 10);
}

function Chart({ runs, selectedRun, now }) {
  const durations = runs.map((run) => runDuration(run, now));
  const longest = Math.max(1, ...durations);
  const every = tickEvery(runs.length);
  const tick = tickText(runs);
  return html`<div class="g-chart" style=${{ width: `${runs.length * COL}px` }}>
    <div class="g-bars">${runs.map((run, col) => html`
      <div key=${run.name} class=${`g-bar-col${run.name === selectedRun ? " sel" : ""}`}
        data-col=${col} data-run=${run.name}>
        <div class=${`g-bar st-${run.state || "none"}`}
          style=${{ height: `${Math.max(3, Math.round((durations[col] / longest) * BAR_MAX))}px` }}></div>
      </div>`)}</div>
    <div class="g-ticks">${runs.map((run, col) => (col % every === (runs.length - 1) % every
      ? html`<span key=${run.name} class="g-tick" style=${{ left: `${col * COL}px` }}>${tick(run)}</span>`
      : null))}</div>
  </div>`;
}

function Axis({ runs, now }) {
  const longest = Math.max(0, ...runs.map((run) => runDuration(run, now)));
  return html`<div class="g-axis">
    <span class="g-axis-top">${longest ? duration(longest) : ""}</span>
    <span class="g-axis-title">Duration</span>
    <span class="g-axis-bottom">${runs.length ? "0s" : ""}</span>
  </div>`;
}

function Name({ row, selected, index, count }) {
  const toggles = row.kind === "group" || row.kind === "mapped";
  return html`<div class=${`g-name${selected ? " sel" : ""}${row.removed ? " removed" : ""}`}
      style=${{ paddingLeft: `${6 + row.depth * 14}px` }} data-name=${index}>
    ${toggles ? html`<button class=${`g-toggle${row.open ? " open" : ""}`} data-toggle=${index}
        aria-expanded=${row.open} aria-label=${`${row.open ? "Collapse" : "Expand"} ${row.key}`}></button>`
      : html`<span class="g-toggle-space"></span>`}
    <span class=${`g-label ${row.kind}`} title=${row.removed ? `${row.key}: not in the DAG any more` : row.tooltip ? `${row.key}: ${row.tooltip}` : row.key}>${row.label}</span>
    ${count ? html`<span class="g-count" title=${`${count} mapped instances`}>${count}</span>` : null}
  </div>`;
}

function Cells({ row, runs, cellOf, focusCol }) {
  return html`<div class="g-cells">${runs.map((run, col) => {
    const found = cellOf(row, run);
    if (!found) return html`<span class="cell empty" data-col=${col}></span>`;
    const cls = `cell st-${found.state || "none"}${row.kind === "group" ? " group" : ""}${col === focusCol ? " focus" : ""}`;
    return html`<span class=${cls} data-col=${col}></span>`;
  })}</div>`;
}

// The text of the hover card for a cell (set as textContent: never parsed as HTML).
function cellText(row, run, found, now) {
  const lines = [`${row.key}`, `Run: ${run.runId || run.name}`];
  if (!found) return [...lines, "Not in this run"].join("\n");
  lines.push(`State: ${label(found.state)}`);
  if (found.count) lines.push(`Mapped instances: ${found.count}`);
  if (found.cell) {
    const c = found.cell;
    if (found.tryNumber > 1) lines.push(`Try: ${found.tryNumber}`);
    if (c[QUEUED] && !c[START]) lines.push(`Queued: ${fullTime(c[QUEUED])}`);
    if (c[START]) lines.push(`Started: ${fullTime(c[START])}`);
    if (c[END]) lines.push(`Ended: ${fullTime(c[END])}`);
    if (c[START]) lines.push(`Duration: ${duration(between(c[START], c[END], now))}`);
  }
  return lines.join("\n");
}

function runText(run, now) {
  return [
    run.runId || run.name, `State: ${label(run.state)}`, `Type: ${run.runType}`,
    `Logical date: ${fullTime(run.logicalDate)}`,
    run.startDate ? `Duration: ${duration(runDuration(run, now))}` : "Not started",
  ].join("\n");
}

// Which rows are in view: a window of rows around the scroll offset.
function useWindow(wrapRef, rowCount) {
  const [view, setView] = useState({ first: 0, count: 40 });
  useLayoutEffect(() => {
    const wrap = wrapRef.current;
    let frame = 0;
    const measure = () => {
      frame = 0;
      const first = Math.max(0, Math.floor(wrap.scrollTop / ROW) - OVERSCAN);
      const count = Math.ceil(wrap.clientHeight / ROW) + 2 * OVERSCAN;
      setView((v) => (v.first === first && v.count === count ? v : { first, count }));
    };
    const onScroll = () => { if (!frame) frame = requestAnimationFrame(measure); };
    measure();
    wrap.addEventListener("scroll", onScroll, { passive: true });
    window.addEventListener("resize", onScroll);
    return () => {
      wrap.removeEventListener("scroll", onScroll);
      window.removeEventListener("resize", onScroll);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [rowCount]);
  return view;
}

// The most height the grid may take: the rest of the window on a laptop.
function useFitHeight(wrapRef) {
  useLayoutEffect(() => {
    const fit = () => {
      const wrap = wrapRef.current;
      if (!wrap) return;
      const top = wrap.getBoundingClientRect().top + window.scrollY;
      // On a phone (panel below) a part of the screen, so the panel shows under it.
      const phone = window.innerWidth < 900;
      const room = phone ? window.innerHeight * 0.6 : window.innerHeight - top - 12;
      wrap.style.maxHeight = `${Math.max(phone ? 300 : 360, room)}px`;
    };
    fit();
    window.addEventListener("resize", fit);
    return () => window.removeEventListener("resize", fit);
  }, []);
}

export function GridTable({
  rows, runs, cellOf, countOf, selectedRun, selectedKey, onCell, onRun, onToggle, onName, onKey, ready,
}) {
  const wrapRef = useRef(null);
  const tipRef = useRef(null);
  useFitHeight(wrapRef);
  const { first, count } = useWindow(wrapRef, rows.length);
  const now = Date.now();
  const focusCol = runs.findIndex((r) => r.name === selectedRun);
  const focusRow = selectedKey ? rows.findIndex((r) => r.key === selectedKey) : -1;

  // Bring a selected row into view (a shared link, a keyboard move).
  useEffect(() => {
    const wrap = wrapRef.current;
    if (focusRow < 0 || !wrap) return;
    const top = focusRow * ROW;
    const visible = wrap.clientHeight - wrap.querySelector(".g-head").offsetHeight;
    if (top < wrap.scrollTop) wrap.scrollTop = top;
    else if (top + ROW > wrap.scrollTop + visible) wrap.scrollTop = top + ROW - visible + ROW;
  }, [focusRow, ready]);

  const target = (event) => {
    const el = event.target.closest("[data-col],[data-toggle],[data-name]");
    if (!el) return null;
    const rowEl = el.closest("[data-row]");
    return { el, row: rowEl ? Number(rowEl.dataset.row) : -1 };
  };
  const click = (event) => {
    const hit = target(event);
    if (!hit) return;
    const { el, row } = hit;
    if (el.dataset.toggle !== undefined) onToggle(rows[Number(el.dataset.toggle)]);
    else if (el.dataset.name !== undefined) onName(rows[Number(el.dataset.name)]);
    else if (row >= 0) onCell(rows[row], runs[Number(el.dataset.col)]);
    else onRun(runs[Number(el.dataset.col)]);
  };
  const hover = (event) => {
    const tip = tipRef.current;
    const hit = target(event);
    if (!hit || hit.el.dataset.col === undefined) { tip.hidden = true; return; }
    const run = runs[Number(hit.el.dataset.col)];
    if (!run) { tip.hidden = true; return; }
    tip.textContent = hit.row >= 0 ? cellText(rows[hit.row], run, cellOf(rows[hit.row], run), now)
      : runText(run, now);
    const box = hit.el.getBoundingClientRect();
    tip.hidden = false;
    const left = Math.min(box.right + 8, window.innerWidth - tip.offsetWidth - 8);
    tip.style.left = `${Math.max(8, left)}px`;
    tip.style.top = `${Math.min(box.bottom + 6, window.innerHeight - tip.offsetHeight - 8)}px`;
  };
  const leave = () => { tipRef.current.hidden = true; };

  const shown = rows.slice(first, first + count);
  // Room on the right for the newest run's date under its bar.
  const width = `calc(var(--g-name-w) + ${runs.length * COL + 44}px)`;
  return html`<div class="g-wrap" ref=${wrapRef} tabIndex="0" role="region"
      aria-label="Task instances by run"
      data-ready=${ready ? "1" : undefined} data-rows=${rows.length}
      onClick=${click} onMouseOver=${hover} onMouseLeave=${leave} onKeyDown=${onKey}>
    <div class="g-head" style=${{ width }}>
      <div class="g-corner"><${Axis} runs=${runs} now=${now} /></div>
      <${Chart} runs=${runs} selectedRun=${selectedRun} now=${now} />
    </div>
    <div class="g-body" style=${{ height: `${rows.length * ROW}px`, width }}>
      ${focusCol >= 0 && html`<div class="g-col-mark" style=${{ left: `calc(var(--g-name-w) + ${focusCol * COL}px)` }}></div>`}
      ${focusRow >= 0 && html`<div class="g-row-mark" style=${{ top: `${focusRow * ROW}px` }}></div>`}
      <div class="g-window" style=${{ transform: `translateY(${first * ROW}px)` }}>
        ${shown.map((row, i) => html`<div class="g-row" key=${row.key} data-row=${first + i} data-key=${row.key}>
          <${Name} row=${row} index=${first + i} selected=${row.key === selectedKey}
            count=${row.kind === "mapped" ? countOf(row) : 0} />
          <${Cells} row=${row} runs=${runs} cellOf=${cellOf}
            focusCol=${row.key === selectedKey ? focusCol : -1} />
        </div>`)}
      </div>
    </div>
    <div class="g-tip" ref=${tipRef} hidden role="tooltip"></div>
  </div>`;
}
