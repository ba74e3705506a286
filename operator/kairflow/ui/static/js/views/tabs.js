// The DAG page's tabs, in Airflow's order. Each view takes the page context:
// { ns, dag, live, detail, runs, store, version, params, base }.
import { Details } from "./details.js";

export const TABS = [
  { id: "details", title: "Details", view: Details },
];
