// The grid's data, kept cheap for 5,000 tasks x 25 runs under a live stream.
//
// Rows (tasks in the DAG's order, groups and mapped tasks) are built once per shape,
// not per message. What a row shows in a run is read on demand for the visible rows
// only; the per-run indexes it needs (mapped instances, group states, keys the DAG no
// longer has) are built once per run *version*: the store replaces a run's `tis`
// object when the run changes, so a WeakMap keyed by it recomputes only changed runs.
import { summaryState } from "../states.js";

// The grid cell array from the stream: [state, tryNumber, startDate, endDate, queuedAt],
// and on a mapped task's own key, while some of its instances are not created yet, how
// many those are (NOT_CREATED).
export const STATE = 0;
export const TRY = 1;
export const START = 2;
export const END = 3;
export const QUEUED = 4;
export const NOT_CREATED = 5;

// How many task instances a cell stands for: one, or a mapped task's not created yet.
export function weightOf(cell) {
  return cell.length > NOT_CREATED ? cell[NOT_CREATED] : 1;
}

export function baseOf(key) {
  const bracket = key.indexOf("[");
  return bracket < 0 ? key : key.slice(0, bracket);
}

export function mapIndexOf(key) {
  const bracket = key.indexOf("[");
  return bracket < 0 ? null : Number(key.slice(bracket + 1, -1));
}

// Every group a dotted name reads as, outermost first: "a.b.c" -> ["a", "a.b"] (for
// tasks the structure does not know: rows read from runs of a deleted DAG).
export function groupsOf(name) {
  const parts = name.split(".");
  const found = [];
  for (let i = 1; i < parts.length; i += 1) found.push(parts.slice(0, i).join("."));
  return found;
}

// The DAG's shape as a tree: groups in the position of their first task, as Airflow's.
// A task's groups (outermost first) come from the structure (`task.groups`), their
// labels and tooltips from `groupInfo` (the structure's groups, by id).
export function shapeOf(tasks, groupInfo = []) {
  const root = { children: [], byName: new Map() };
  const info = new Map(groupInfo.map((g) => [g.id, g]));
  const groups = new Map();
  const members = new Map();
  const paths = new Map();
  const labels = new Map();
  let hasGroups = false;
  for (const task of tasks) {
    let parent = root;
    const path = task.groups || groupsOf(task.name);
    paths.set(task.name, path);
    labels.set(task.name, task.label || label(task.name));
    for (const group of path) {
      hasGroups = true;
      let node = groups.get(group);
      if (!node) {
        const about = info.get(group);
        node = {
          kind: "group", name: group, children: [],
          label: about ? about.label : label(group), tooltip: about ? about.tooltip : null,
        };
        groups.set(group, node);
        members.set(group, []);
        parent.children.push(node);
      }
      members.get(group).push(task.name);
      parent = node;
    }
    parent.children.push({ kind: task.mapped ? "mapped" : "task", name: task.name });
  }
  const known = new Set(tasks.map((t) => t.name));
  const mapped = new Set(tasks.filter((t) => t.mapped).map((t) => t.name));
  // Groups the engine knows (the spec's), which a clear or mark may name as a whole.
  const specGroups = new Set(info.keys());
  return { tasks, root, groups, members, paths, labels, known, mapped, hasGroups, specGroups };
}

function label(name) {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? name : name.slice(dot + 1);
}

// The grid's rows. `collapsed`: groups closed; `open`: mapped tasks expanded, with
// `width[task]` instances (the most any shown run has); `extras`: task names only
// older runs have, shown last.
export function buildRows(shape, collapsed, open, width, extras) {
  const rows = [];
  const walk = (nodes, depth) => {
    for (const node of nodes) {
      if (node.kind === "group") {
        const isOpen = !collapsed.has(node.name);
        rows.push({ kind: "group", key: node.name, label: node.label, tooltip: node.tooltip, depth, open: isOpen });
        if (isOpen) walk(node.children, depth + 1);
      } else {
        pushTask(rows, node.name, shape.labels.get(node.name), node.kind === "mapped", depth, open, width);
      }
    }
  };
  walk(shape.root.children, 0);
  for (const extra of extras) {
    pushTask(rows, extra.name, extra.name, extra.mapped, 0, open, width, true);
  }
  return rows;
}

function pushTask(rows, name, text, isMapped, depth, open, width, removed = false) {
  if (!isMapped) {
    rows.push({ kind: "task", key: name, label: text, depth, removed });
    return;
  }
  const isOpen = open.has(name);
  rows.push({ kind: "mapped", key: name, label: text, depth, open: isOpen, removed });
  if (!isOpen) return;
  for (let i = 0; i < (width.get(name) || 0); i += 1) {
    rows.push({ kind: "instance", key: `${name}[${i}]`, label: `[${i}]`, depth: depth + 1, removed });
  }
}

// Per-run indexes for one DAG shape, each built once per run version.
export function makeIndexer(shape) {
  const indexes = new WeakMap();
  const index = (tis) => {
    let found = indexes.get(tis);
    if (found) return found;
    const mapped = new Map();
    const extras = [];
    for (const key in tis) {
      const bracket = key.indexOf("[");
      if (bracket < 0) {
        if (!shape.known.has(key)) extras.push({ name: key, mapped: false });
        continue;
      }
      const base = key.slice(0, bracket);
      let keys = mapped.get(base);
      if (!keys) {
        keys = [];
        mapped.set(base, keys);
        if (!shape.known.has(base)) extras.push({ name: base, mapped: true });
      }
      keys[Number(key.slice(bracket + 1, -1))] = key;
    }
    found = { mapped, extras, summaries: new Map(), groups: new Map() };
    indexes.set(tis, found);
    return found;
  };

  // A mapped task in one run: its instances' most telling state and how many there are
  // (before expansion, or mapped over nothing, the task's own key holds its state).
  const mappedCell = (tis, name) => {
    const found = index(tis);
    let cell = found.summaries.get(name);
    if (cell) return cell;
    const keys = found.mapped.get(name);
    if (keys && keys.length) {
      const states = [];
      for (const key of keys) if (key && tis[key]) states.push(tis[key][STATE]);
      let count = states.length;
      const rest = tis[name]; // the instances not created yet, as a count
      if (rest && rest.length > NOT_CREATED) {
        states.push(rest[STATE]);
        count += weightOf(rest);
      }
      cell = { state: summaryState(states), count };
    } else if (tis[name]) {
      cell = { state: tis[name][STATE], count: 0 };
    } else {
      cell = null;
    }
    found.summaries.set(name, cell);
    return cell;
  };

  const statesOf = (tis, name) => {
    if (shape.mapped.has(name)) {
      const cell = mappedCell(tis, name);
      return cell ? [cell.state] : [];
    }
    return tis[name] ? [tis[name][STATE]] : [];
  };

  // A group's summary state in one run, worked out when its row is first in view.
  const groupState = (tis, group) => {
    const found = index(tis);
    if (found.groups.has(group)) return found.groups.get(group);
    const states = [];
    for (const name of shape.members.get(group) || []) for (const s of statesOf(tis, name)) states.push(s);
    const state = states.length ? summaryState(states) : null;
    found.groups.set(group, state);
    return state;
  };

  // What a row shows in one run: {state, tryNumber, cell, count} or null (not in it).
  const cellOf = (row, run) => {
    const tis = run.tis || {};
    if (row.kind === "group") {
      const state = groupState(tis, row.key);
      return state === null ? null : { state };
    }
    if (row.kind === "mapped") {
      const found = mappedCell(tis, row.key);
      return found && { state: found.state, count: found.count };
    }
    const cell = tis[row.key];
    return cell ? { state: cell[STATE], tryNumber: cell[TRY], cell } : null;
  };

  return { index, cellOf, mappedCell, groupState };
}

// Across the shown runs: task names only older runs have (newest first, each once),
// and how many instances each expanded mapped task needs rows for.
export function acrossRuns(indexer, runs, open) {
  const extras = [];
  const seen = new Set();
  const width = new Map();
  for (const run of runs) {
    const found = indexer.index(run.tis || {});
    for (const extra of found.extras) {
      if (!seen.has(extra.name)) { seen.add(extra.name); extras.push(extra); }
    }
    for (const name of open) {
      const keys = found.mapped.get(name);
      if (keys && keys.length > (width.get(name) || 0)) width.set(name, keys.length);
    }
  }
  return { extras, width };
}

// A signature of what the rows depend on besides the shape, to rebuild them only when
// it changes (most messages change states, not which rows exist).
export function rowsSignature(extras, width) {
  const parts = extras.map((e) => `${e.name}${e.mapped ? "[]" : ""}`);
  for (const [name, count] of width) parts.push(`${name}=${count}`);
  return parts.join("\n");
}

// Task instance counts by state in one run (the run panel's summary).
export function stateCounts(tis) {
  const counts = new Map();
  for (const key in tis) {
    const state = tis[key][STATE] || "none";
    counts.set(state, (counts.get(state) || 0) + weightOf(tis[key]));
  }
  return counts;
}

// Every task instance key a group's tasks have in one run (mapped ones expanded).
export function groupInstanceKeys(indexer, shape, tis, group) {
  const keys = [];
  for (const name of shape.members.get(group) || []) {
    const mapped = indexer.index(tis).mapped.get(name);
    if (mapped && mapped.length) { for (const key of mapped) if (key) keys.push(key); }
    else if (tis[name]) keys.push(name);
  }
  return keys;
}
