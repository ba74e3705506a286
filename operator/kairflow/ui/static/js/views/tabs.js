// The DAG page's tabs, in Airflow's order. Each view takes the page context:
// { ns, dag, live, detail, runs, store, version, params, base }.
import { Grid } from "./grid.js";
import { Details } from "./details.js";

export const TABS = [
  { id: "grid", title: "Grid", view: Grid },
  { id: "details", title: "Details", view: Details },
];
