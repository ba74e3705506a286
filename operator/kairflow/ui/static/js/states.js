// Airflow's state colours and words, for cells, dots, nodes and bars.
export const STATES = [
  "success", "failed", "running", "queued", "scheduled", "up_for_retry",
  "up_for_reschedule", "deferred", "upstream_failed", "skipped", "removed", "restarting", "none",
];

export const LABELS = {
  none: "no status",
  upstream_failed: "upstream failed",
  up_for_retry: "up for retry",
  up_for_reschedule: "up for reschedule",
};

export function label(state) {
  return LABELS[state] || state || "no status";
}

export function stateClass(state) {
  return `st-${state || "none"}`;
}

export const FINISHED = new Set(["success", "failed", "skipped", "upstream_failed", "removed"]);

// A mapped task's row shows the most telling state among its instances, as Airflow's.
const PRIORITY = [
  "failed", "upstream_failed", "up_for_retry", "up_for_reschedule", "deferred", "running",
  "restarting", "queued", "scheduled", "none", "success", "skipped", "removed",
];

export function summaryState(states) {
  let best = null;
  let rank = Infinity;
  for (const s of states) {
    const r = PRIORITY.indexOf(s || "none");
    if (r >= 0 && r < rank) { rank = r; best = s; }
  }
  return best;
}
