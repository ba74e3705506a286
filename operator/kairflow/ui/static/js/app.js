// The page shell: sign-in, the namespace switcher, and hash routes to the views.
import {
  html, render, useEffect, useState, session, getJson, errorText, whenSignedOut,
} from "./lib.js";
import { DagList } from "./views/dags.js";
import { DagPage } from "./views/dag.js";
import { Login } from "./views/login.js";
import { DialogHost } from "./dialogs.js";

export function parseRoute(hash) {
  const [path, query = ""] = (hash.replace(/^#/, "") || "/").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const params = Object.fromEntries(new URLSearchParams(query));
  if (parts[0] === "login") return { view: "login", params };
  if (parts[0] === "ns" && parts[2] === "dags" && parts[3]) {
    return { view: "dag", ns: parts[1], dag: parts[3], tab: parts[4] || "grid", params };
  }
  if (parts[0] === "ns") return { view: "dags", ns: parts[1], params };
  return { view: "home", params };
}

export function go(hash) {
  if (window.location.hash !== hash) window.location.hash = hash;
}

function useRoute() {
  const [route, setRoute] = useState(parseRoute(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}

function NamespaceSwitcher({ ns, namespaces }) {
  const choose = (event) => go(`#/ns/${encodeURIComponent(event.target.value)}/dags`);
  const names = namespaces.includes(ns) ? namespaces : [ns, ...namespaces];
  return html`<label class="ns-switch">Namespace
    <select aria-label="Namespace" value=${ns} onChange=${choose}>
      ${names.map((n) => html`<option value=${n}>${n}</option>`)}
    </select></label>`;
}

function App() {
  const route = useRoute();
  const [me, setMe] = useState(null);
  const [problem, setProblem] = useState(null);
  const [namespaces, setNamespaces] = useState([]);
  useEffect(() => {
    whenSignedOut((error) => setProblem(error));
    session().then(setMe).catch((error) => setProblem(error));
  }, []);
  useEffect(() => {
    if (me) getJson("/api/namespaces").then((r) => setNamespaces(r.namespaces)).catch(() => {});
  }, [me]);
  // Signed out (never signed in, or the token expired): the sign-in, whatever the route.
  // A kubeconfig's refused credentials are renewed outside: Login says so.
  if (problem && problem.status === 401) {
    return html`<${Login} mode=${me && me.mode} problem=${problem} />`;
  }
  if (problem) return html`<p class="error">${errorText(problem)}</p>`;
  if (!me) return html`<p class="loading">Loading…</p>`;
  if (route.view === "login") return html`<${Login} session=${me} />`;
  if (route.view === "home") { go(`#/ns/${encodeURIComponent(me.namespace)}/dags`); return null; }
  return html`
    <header class="top">
      <a class="brand" href=${`#/ns/${encodeURIComponent(route.ns)}/dags`}>Kairflow</a>
      <nav><a href=${`#/ns/${encodeURIComponent(route.ns)}/dags`}>DAGs</a></nav>
      <${NamespaceSwitcher} ns=${route.ns} namespaces=${namespaces} />
    </header>
    <main>
      ${route.view === "dags" && html`<${DagList} ns=${route.ns} params=${route.params} />`}
      ${route.view === "dag" && html`<${DagPage} key=${`${route.ns}/${route.dag}`}
          ns=${route.ns} dag=${route.dag} tab=${route.tab} params=${route.params} />`}
    </main>
    <${DialogHost} />`;
}

render(html`<${App} />`, document.getElementById("app"));
