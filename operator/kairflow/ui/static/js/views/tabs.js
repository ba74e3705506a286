// The DAG page's tabs, in Airflow's order. Each view takes the page context:
// { ns, dag, live, detail, runs, store, version, params, base }.
import { Details } from "./details.js";
import { Backfills } from "./backfills.js";

export const TABS = [
  { id: "details", title: "Details", view: Details },
  { id: "backfills", title: "Backfills", view: Backfills },
];
