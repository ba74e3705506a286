// The Graph tab's geometry: tasks and task groups (expanded as boxes, or collapsed to
// one node) laid out left to right by dagre, once per structure and set of collapsed
// groups. Pure of the page: it takes the structure and returns boxes and paths.
// Groups come from the structure: each task's group ids, outermost first (structure.py
// reads them from the spec's `groups`, or from dotted names in a spec without them).

const NODE_HEIGHT = 44;
const MIN_WIDTH = 96;
const MAX_WIDTH = 240;
const PADDING_X = 26; // the state strip on the left plus margins
const BADGE_WIDTH = 34; // "[12]" on mapped tasks
const NAME_FONT = "600 12.5px system-ui, sans-serif";
const SUB_FONT = "11px system-ui, sans-serif";
export const GROUP_HEADER = 20;

let measure = null;

function textWidth(text, font) {
  if (!measure) measure = document.createElement("canvas").getContext("2d");
  measure.font = font;
  return measure.measureText(text).width;
}

// The longest start of `text` (with "…") that fits in `width`.
function fit(text, font, width) {
  if (textWidth(text, font) <= width) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (textWidth(`${text.slice(0, mid)}…`, font) <= width) low = mid; else high = mid - 1;
  }
  return `${text.slice(0, low)}…`;
}

export function groupOf(name) {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(0, dot) : null;
}

// Outermost first: "a.b.c" -> ["a", "a.b"] (a dotted name read as groups).
export function ancestors(name) {
  const found = [];
  for (let group = groupOf(name); group; group = groupOf(group)) found.unshift(group);
  return found;
}

// The groups a task of the structure is in, outermost first.
export function pathOf(task) {
  return task.groups || ancestors(task.name);
}

export function shortName(name) {
  const group = groupOf(name);
  return group ? name.slice(group.length + 1) : name;
}

// Every group with the tasks inside it (nested groups' tasks included), its parent
// group, its own path of groups, its label and tooltip, outer groups first.
export function groupsOf(tasks) {
  const groups = new Map();
  for (const task of tasks) {
    const path = pathOf(task);
    path.forEach((group, i) => {
      if (!groups.has(group)) {
        const info = task.groupInfo && task.groupInfo.get(group);
        groups.set(group, {
          name: group, tasks: [], path: path.slice(0, i), parent: i ? path[i - 1] : null,
          label: info ? info.label : shortName(group), tooltip: info ? info.tooltip : null,
        });
      }
      groups.get(group).tasks.push(task.name);
    });
  }
  return groups;
}

// The structure's tasks with what the layout reads of their groups attached.
export function withGroups(structure) {
  if (!structure) return [];
  const info = new Map((structure.groups || []).map((g) => [g.id, g]));
  return structure.tasks.map((t) => ({ ...t, groupInfo: info }));
}

// Changes exactly when the drawing must: names, groups and edges.
export function signature(tasks) {
  return tasks.map((t) => `${t.name}${t.mapped ? "[]" : ""}@${pathOf(t).join("/")}<${t.upstream.join(",")}`).join(";");
}

// The node a task is drawn as: itself, or its outermost collapsed group.
export function nodeIdOf(task, collapsed) {
  for (const group of pathOf(task)) if (collapsed.has(group)) return `group:${group}`;
  return `task:${task.name}`;
}

// Room for the name, and for the operator with the commonest state after it (a longer
// state word is cut to fit by `subLine`; the node's title has it whole).
function nodeSize(title, sub, badge) {
  const room = MAX_WIDTH - PADDING_X - (badge ? BADGE_WIDTH : 0);
  const label = fit(title, NAME_FONT, room);
  const width = Math.max(textWidth(label, NAME_FONT), textWidth(`${sub} · success`, SUB_FONT))
    + PADDING_X + (badge ? BADGE_WIDTH : 0);
  return { label, width: Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.ceil(width))) };
}

export function subLine(node, words) {
  const badge = node.kind === "task" && node.task.mapped ? BADGE_WIDTH : 0;
  return fit(words, SUB_FONT, node.width - PADDING_X - badge);
}

// d3's curveBasis through dagre's edge points.
export function basisPath(points) {
  if (points.length < 3) return `M${points.map((p) => `${p.x},${p.y}`).join("L")}`;
  const f = (n) => Math.round(n * 10) / 10;
  let [x0, y0, x1, y1] = [points[0].x, points[0].y, points[0].x, points[0].y];
  let d = `M${f(x0)},${f(y0)}`;
  const bezier = (x, y) => {
    d += `C${f((2 * x0 + x1) / 3)},${f((2 * y0 + y1) / 3)},${f((x0 + 2 * x1) / 3)},${f((y0 + 2 * y1) / 3)},`
      + `${f((x0 + 4 * x1 + x) / 6)},${f((y0 + 4 * y1 + y) / 6)}`;
  };
  points.forEach((p, i) => {
    if (i === 2) d += `L${f((5 * x0 + x1) / 6)},${f((5 * y0 + y1) / 6)}`;
    if (i >= 2) bezier(p.x, p.y);
    [x0, y0, x1, y1] = [x1, y1, p.x, p.y];
  });
  bezier(x1, y1);
  d += `L${f(x1)},${f(y1)}`;
  return d;
}

function addGroupNodes(graph, groups, collapsed, nodes) {
  for (const group of groups.values()) {
    if (group.path.some((g) => collapsed.has(g))) continue; // inside a collapsed group
    const id = `group:${group.name}`;
    if (collapsed.has(group.name)) {
      const sub = `Task group · ${group.tasks.length} tasks`;
      const { label, width } = nodeSize(group.label, sub, false);
      const node = { id, kind: "group", name: group.name, label, sub, width, height: NODE_HEIGHT, members: group.tasks, tooltip: group.tooltip };
      nodes.set(id, node);
      graph.setNode(id, { width, height: NODE_HEIGHT });
    } else {
      graph.setNode(id, {});
    }
    if (group.parent) graph.setParent(id, `group:${group.parent}`);
  }
}

// {nodes, edges, boxes, width, height}: node boxes are centred at (x, y); group boxes
// (expanded groups) have their top-left corner at (x, y).
export function layout(dagre, tasks, collapsed) {
  const graph = new dagre.graphlib.Graph({ compound: true });
  graph.setGraph({ rankdir: "LR", nodesep: 22, ranksep: 40, edgesep: 8, marginx: 12, marginy: 12 + GROUP_HEADER });
  graph.setDefaultEdgeLabel(() => ({}));
  const groups = groupsOf(tasks);
  const nodes = new Map();
  addGroupNodes(graph, groups, collapsed, nodes);
  const byName = new Map(tasks.map((t) => [t.name, t]));
  for (const task of tasks) {
    const id = nodeIdOf(task, collapsed);
    if (!id.startsWith("task:")) continue;
    const sub = task.role ? `${task.operator} · ${task.role}` : task.operator;
    const { label, width } = nodeSize(task.label || shortName(task.name), sub, task.mapped);
    nodes.set(id, { id, kind: "task", name: task.name, label, sub, width, height: NODE_HEIGHT, task });
    graph.setNode(id, { width, height: NODE_HEIGHT });
    const path = pathOf(task);
    if (path.length) graph.setParent(id, `group:${path[path.length - 1]}`);
  }
  const edges = new Map();
  for (const task of tasks) {
    const to = nodeIdOf(task, collapsed);
    for (const up of task.upstream) {
      const from = nodeIdOf(byName.get(up) || { name: up }, collapsed);
      if (from !== to && !edges.has(`${from}>${to}`)) {
        edges.set(`${from}>${to}`, { id: `${from}>${to}`, from, to });
        graph.setEdge(from, to);
      }
    }
  }
  dagre.layout(graph);
  for (const node of nodes.values()) Object.assign(node, { x: graph.node(node.id).x, y: graph.node(node.id).y });
  for (const edge of edges.values()) edge.d = basisPath(graph.edge(edge.from, edge.to).points);
  const boxes = [];
  for (const group of groups.values()) {
    const box = graph.node(`group:${group.name}`);
    if (!box || nodes.has(`group:${group.name}`)) continue;
    boxes.push({
      name: group.name, label: group.label, tooltip: group.tooltip, count: group.tasks.length,
      depth: group.path.length,
      x: box.x - box.width / 2, y: box.y - box.height / 2 - GROUP_HEADER,
      width: box.width, height: box.height + GROUP_HEADER,
    });
  }
  boxes.sort((a, b) => a.depth - b.depth);
  const size = graph.graph();
  return { nodes: [...nodes.values()], edges: [...edges.values()], boxes, width: size.width, height: size.height };
}
