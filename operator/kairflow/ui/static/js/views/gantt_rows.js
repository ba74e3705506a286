// The Gantt chart's data: one row per task instance of a run, in the DAG's order, each
// with a bar per try (queued part, running part), and a time axis with round ticks.
// The live grid cells give each instance's current try; earlier tries come from the
// run's pods (GET .../tries) while they exist.
import { parseTime } from "../lib.js";

// Instance keys in the DAG's order: mapped tasks' `name[i]` by index, then any key the
// structure does not know (a task removed since).
export function orderedKeys(tasks, tis) {
  const keys = Object.keys(tis || {});
  const byTask = new Map();
  for (const key of keys) {
    const mapped = /^(.*)\[(\d+)\]$/.exec(key);
    const name = mapped ? mapped[1] : key;
    if (!byTask.has(name)) byTask.set(name, []);
    byTask.get(name).push({ key, index: mapped ? Number(mapped[2]) : -1 });
  }
  const ordered = [];
  for (const task of tasks || []) {
    const found = byTask.get(task.name);
    if (!found) continue;
    found.sort((a, b) => a.index - b.index);
    ordered.push(...found.map((f) => f.key));
    byTask.delete(task.name);
  }
  for (const rest of byTask.values()) ordered.push(...rest.map((f) => f.key));
  return ordered;
}

function segment(number, state, queued, start, end, current) {
  return { try: number, state, queued: parseTime(queued), start: parseTime(start), end: parseTime(end), current };
}

export function rowsOf(tasks, run, tries) {
  if (!run) return [];
  const earlier = new Map();
  for (const t of tries || []) {
    if (!earlier.has(t.key)) earlier.set(t.key, []);
    earlier.get(t.key).push(t);
  }
  const rows = [];
  for (const key of orderedKeys(tasks, run.tis)) {
    const [state, tryNumber, start, end, queued] = run.tis[key];
    const segments = (earlier.get(key) || []).filter((t) => t.try < tryNumber).map((t) => segment(
      t.try, t.exitCode === 0 ? "success" : "failed", t.queuedAt, t.startDate, t.endDate, false));
    segments.push(segment(tryNumber, state, queued, start, end, true));
    rows.push({ key, state, tryNumber, segments, started: Boolean(queued || start) });
  }
  return rows;
}

// Where a segment's queued and running parts begin and end; an open part runs to `now`
// while the run is active, and to the run's end (or its own start) once it is not.
export function spans(seg, now, active, runEnd) {
  const open = active ? now : (runEnd ?? null);
  const queuedEnd = seg.start ?? seg.end ?? open ?? seg.queued;
  const runningEnd = seg.end ?? (seg.start !== null ? open ?? seg.start : null);
  return {
    queued: seg.queued !== null && queuedEnd !== null && queuedEnd > seg.queued ? [seg.queued, queuedEnd] : null,
    running: seg.start !== null && runningEnd !== null ? [seg.start, Math.max(runningEnd, seg.start)] : null,
  };
}

export function domainOf(rows, run, now, active) {
  let low = parseTime(run && run.startDate);
  let high = active ? now : parseTime(run && run.endDate);
  for (const row of rows) {
    for (const seg of row.segments) {
      for (const t of [seg.queued, seg.start, seg.end]) {
        if (t === null) continue;
        if (low === null || t < low) low = t;
        if (high === null || t > high) high = t;
      }
    }
  }
  if (low === null) return null;
  if (high === null || high - low < 1000) high = low + 1000;
  return [low, high];
}

const STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
  172800, 604800,
].map((s) => s * 1000);

// Round ticks inside [low, high], at most `most` of them.
export function ticks(low, high, most) {
  const step = STEPS.find((s) => (high - low) / s <= most) || STEPS[STEPS.length - 1];
  const found = [];
  for (let t = Math.ceil(low / step) * step; t <= high; t += step) found.push(t);
  return { step, ticks: found };
}

export function tickLabel(ms, step) {
  const iso = new Date(ms).toISOString();
  if (step >= 86400000) return iso.slice(5, 10);
  if (step >= 60000) return iso.slice(11, 16);
  return iso.slice(11, 19);
}
