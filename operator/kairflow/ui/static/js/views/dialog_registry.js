// Every dialog `openDialog(name, props)` can open, by name. Each receives its props
// and `onClose`. Other views open them with exactly these names and props:
//   trigger {ns, dag} · clear {ns, run, tasks} · mark {ns, run, tasks, state}
//   deleteRun {ns, run} · backfill {ns, dag} · stopBackfill {ns, backfill, finished}
import { TriggerDialog } from "./trigger_dialog.js";
import { ClearDialog } from "./clear_dialog.js";
import { MarkDialog } from "./mark_dialog.js";
import { DeleteRunDialog } from "./delete_run_dialog.js";
import { BackfillDialog } from "./backfill_dialog.js";
import { StopBackfillDialog } from "./stop_backfill_dialog.js";

export const DIALOGS = {
  trigger: TriggerDialog,
  clear: ClearDialog,
  mark: MarkDialog,
  deleteRun: DeleteRunDialog,
  backfill: BackfillDialog,
  stopBackfill: StopBackfillDialog,
};
