// Every dialog `openDialog(name, props)` can open, by name. Each receives its props
// and `onClose`.
export const DIALOGS = {};
