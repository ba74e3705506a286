// Airflow's Calendar view: a year of days, weeks as columns (like GitHub's contribution
// chart), each day coloured by its runs' states (any failed: red; any running or
// queued: that; all succeeded: green), the DAG's next run as planned. Live from the
// page's runs; days are UTC days of the runs' logical dates.
import { html, useLayoutEffect, useMemo, useRef } from "../lib.js";
import { label } from "../states.js";
import { tabHash } from "./run_picker.js";
import { Tooltip, useTooltip } from "./tooltip.js";

const CELL = 12;
const STEP = 15; // cell and gap
const LEFT = 30; // weekday names
const TOP = 18; // month names
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const DAY = 86400000;
// A day's colour: the first of these states among its runs.
const PRIORITY = ["failed", "running", "queued", "success"];

export function dayOf(text) {
  const ms = Date.parse(text || "");
  return Number.isNaN(ms) ? null : new Date(ms).toISOString().slice(0, 10);
}

// "YYYY-MM-DD" -> {runs (newest first), counts by state, state}.
export function daysOf(runs) {
  const days = new Map();
  for (const run of runs) {
    const day = dayOf(run.logicalDate);
    if (!day) continue;
    if (!days.has(day)) days.set(day, { runs: [], counts: {} });
    const found = days.get(day);
    found.runs.push(run);
    found.counts[run.state] = (found.counts[run.state] || 0) + 1;
  }
  for (const found of days.values()) {
    found.state = PRIORITY.find((s) => found.counts[s]) || Object.keys(found.counts)[0];
  }
  return days;
}

// Every day of `year` with its column (week) and row (weekday), and where months begin.
export function yearGrid(year) {
  const first = Date.UTC(year, 0, 1);
  const offset = new Date(first).getUTCDay();
  const cells = [];
  const months = [];
  for (let ms = first; new Date(ms).getUTCFullYear() === year; ms += DAY) {
    const date = new Date(ms);
    const week = Math.floor(((ms - first) / DAY + offset) / 7);
    if (date.getUTCDate() === 1) months.push({ name: MONTHS[date.getUTCMonth()], week });
    cells.push({ day: date.toISOString().slice(0, 10), week, weekday: date.getUTCDay() });
  }
  return { cells, months, weeks: cells[cells.length - 1].week + 1 };
}

function dayWords(day) {
  const date = new Date(`${day}T00:00:00Z`);
  return `${WEEKDAYS[date.getUTCDay()]} ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

function DayTip({ day, found, planned }) {
  return html`<div class="tip-title">${dayWords(day)}</div>
    ${found ? html`<div>${found.runs.length} run${found.runs.length === 1 ? "" : "s"}</div>
      ${Object.entries(found.counts).map(([state, n]) => html`
        <div><span class=${`swatch s-${state}`}></span>${n} ${label(state)}</div>`)}`
      : html`<div>${planned ? "Planned: the next scheduled run" : "No runs"}</div>`}`;
}

function Summary({ year, days }) {
  const counts = {};
  let total = 0;
  let active = 0;
  for (const [day, found] of days) {
    if (!day.startsWith(`${year}-`)) continue;
    active += 1;
    for (const [state, n] of Object.entries(found.counts)) {
      counts[state] = (counts[state] || 0) + n;
      total += n;
    }
  }
  if (!total) return html`<span class="muted">No runs in ${year}.</span>`;
  const words = Object.entries(counts).map(([s, n]) => `${n} ${label(s)}`).join(", ");
  return html`<span class="cal-summary"><b>${total}</b>${` run${total === 1 ? "" : "s"} on ${active} day${active === 1 ? "" : "s"} in ${year}: ${words}`}</span>`;
}

export function Calendar({ runs, live, detail, store, params, base }) {
  const days = useMemo(() => daysOf(runs), [runs.length, runs]);
  const dag = live || detail;
  const planned = dag && !dag.paused && dag.nextRun ? dayOf(dag.nextRun.logicalDate) : null;
  const today = new Date().toISOString().slice(0, 10);
  const years = [...days.keys(), planned, today].filter(Boolean).map((d) => Number(d.slice(0, 4)));
  const [low, high] = [Math.min(...years), Math.max(...years)];
  const newest = runs[0] && dayOf(runs[0].logicalDate);
  const year = Number(params.year) || Number((newest || today).slice(0, 4));
  const grid = useMemo(() => yearGrid(year), [year]);
  const tooltip = useTooltip();
  const scroller = useRef(null);
  // On a narrow screen, open at the year's end, where the latest days are.
  useLayoutEffect(() => {
    if (scroller.current) scroller.current.scrollLeft = scroller.current.scrollWidth;
  }, [year]);
  const goYear = (y) => { window.location.hash = tabHash(base, "calendar", { year: y }); };
  const open = (found) => {
    if (found) window.location.hash = tabHash(base, "grid", { run: found.runs[0].name });
  };
  const width = LEFT + grid.weeks * STEP;
  const height = TOP + 7 * STEP;
  const pointed = tooltip.tip && tooltip.tip.what;
  return html`<div class="calendar-view">
    <div class="view-bar">
      <span class="year-switch">
        <button type="button" aria-label="Previous year" disabled=${year <= low} onClick=${() => goYear(year - 1)}>‹</button>
        <b class="year">${year}</b>
        <button type="button" aria-label="Next year" disabled=${year >= high} onClick=${() => goYear(year + 1)}>›</button>
      </span>
      ${store.loaded.has("dagruns") ? html`<${Summary} year=${year} days=${days} />`
        : html`<span class="loading">Loading runs…</span>`}
    </div>
    <div class="cal-scroll" ref=${scroller}>
      <svg class="cal-svg" viewBox=${`0 0 ${width} ${height}`} role="img"
        aria-label=${`Daily run states in ${year}`} onPointerLeave=${tooltip.hide}>
        ${grid.months.map((m) => html`<text class="cal-month" x=${LEFT + m.week * STEP} y="11">${m.name}</text>`)}
        ${[1, 3, 5].map((d) => html`<text class="cal-weekday" x="0" y=${TOP + d * STEP + 9.5}>${WEEKDAYS[d]}</text>`)}
        ${grid.cells.map((c) => {
          const found = days.get(c.day);
          const kind = found ? `s-${found.state} ran` : c.day === planned ? "planned" : "empty";
          return html`<rect key=${c.day} class=${`cal-day ${kind}${c.day === today ? " today" : ""}`}
            x=${LEFT + c.week * STEP} y=${TOP + c.weekday * STEP} width=${CELL} height=${CELL} rx="2"
            data-day=${c.day} onPointerMove=${(e) => tooltip.show(e, c.day)} onClick=${() => open(found)} />`;
        })}
      </svg>
    </div>
    <div class="legend">
      ${["success", "failed", "running", "queued"].map((s) => html`
        <span class="legend-item"><span class=${`swatch s-${s}`}></span>${label(s)}</span>`)}
      <span class="legend-item"><span class="swatch planned"></span>planned</span>
      <span class="legend-item"><span class="swatch empty"></span>no runs</span>
      <span>Days in UTC, by logical date · click a day for its latest run</span>
    </div>
    <${Tooltip} tip=${tooltip.tip}>${pointed && html`<${DayTip} day=${pointed} found=${days.get(pointed)}
      planned=${pointed === planned} />`}<//>
  </div>`;
}
