// The DAG page's tabs, in Airflow's order. Each view takes the page context:
// { ns, dag, live, detail, runs, store, version, params, base }.
import { Grid } from "./grid.js";
import { Graph } from "./graph.js";
import { Gantt } from "./gantt.js";
import { Calendar } from "./calendar.js";
import { Code } from "./code.js";
import { Details } from "./details.js";
import { Backfills } from "./backfills.js";

export const TABS = [
  { id: "grid", title: "Grid", view: Grid },
  { id: "graph", title: "Graph", view: Graph },
  { id: "gantt", title: "Gantt", view: Gantt },
  { id: "calendar", title: "Calendar", view: Calendar },
  { id: "code", title: "Code", view: Code },
  { id: "details", title: "Details", view: Details },
  { id: "backfills", title: "Backfills", view: Backfills },
];
