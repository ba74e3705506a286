// The live objects of a page: one server-sent event stream per page, applied to a
// store that re-renders the page once per message (a burst of changes is one message).
import { useEffect, useState, nsPath, enc, ApiError, signedOut } from "./lib.js";

function emptyStore() {
  return {
    dags: new Map(), dagruns: new Map(), backfills: new Map(),
    errors: {}, connected: false, loaded: new Set(),
  };
}

function applyRun(store, item) {
  const before = store.dagruns.get(item.name);
  if (item.tis === undefined) { store.dagruns.set(item.name, item); return; }
  let tis = item.tis;
  if (!item.tisComplete && before && before.tis) {
    tis = Object.assign({}, before.tis, item.tis);
    for (const key of item.tisRemoved || []) delete tis[key];
  }
  store.dagruns.set(item.name, { ...item, tis });
}

export function apply(store, events) {
  for (const event of events) {
    const map = store[event.kind];
    if (!map) continue;
    if (event.type === "reset") {
      map.clear();
      for (const item of event.items) {
        if (event.kind === "dagruns") applyRun(store, item); else map.set(item.name, item);
      }
      store.loaded.add(event.kind);
      delete store.errors[event.kind];
    } else if (event.type === "upsert") {
      if (event.kind === "dagruns") applyRun(store, event.item);
      else map.set(event.item.name, event.item);
    } else if (event.type === "delete") {
      map.delete(event.name);
    } else if (event.type === "error") {
      if (event.status === 401) signedOut(new ApiError(401, event.message, "Unauthorized"));
      store.errors[event.kind] = event.message;
      store.loaded.add(event.kind);
    }
  }
}

// `dag` null: the DAG list's stream; else the DAG page's.
export function useLive(ns, dag) {
  const [state, setState] = useState({ store: emptyStore(), version: 0 });
  useEffect(() => {
    const store = emptyStore();
    setState({ store, version: 0 });
    const query = dag ? `?dag=${enc(dag)}` : "";
    const source = new EventSource(`${nsPath(ns)}/stream${query}`);
    let version = 0;
    source.onopen = () => { store.connected = true; setState({ store, version: ++version }); };
    source.onmessage = (message) => {
      apply(store, JSON.parse(message.data));
      store.connected = true;
      setState({ store, version: ++version });
    };
    source.onerror = () => { store.connected = false; setState({ store, version: ++version }); };
    return () => source.close();
  }, [ns, dag]);
  return state;
}

// Newest first by logical date (then name), as Airflow lists runs.
export function runsNewestFirst(runs, dag) {
  const list = [];
  for (const run of runs.values()) if (!dag || run.dag === dag) list.push(run);
  list.sort((a, b) => (b.logicalDate || "").localeCompare(a.logicalDate || "")
    || b.name.localeCompare(a.name));
  return list;
}
