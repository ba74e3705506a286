// The log of one try of a task instance, as the pod wrote it. While the instance runs,
// the log is followed: the response body is read as it arrives and appended (to one
// text node: a log is never parsed as HTML), scrolled to the end unless the user
// scrolled up to read. Errors ("the pod no longer exists") are shown in its place.
import { html, useEffect, useRef, useState } from "../lib.js";

// States whose latest try may still be writing its log.
const WRITING = new Set(["running", "queued", "restarting"]);
const SHOWN_LIMIT = 8 * 1024 * 1024;
const NEAR_END = 24;

async function problemOf(response) {
  try {
    const body = await response.json();
    if (body && body.error) return body.error;
  } catch (_) { /* not JSON */ }
  return `${response.status} ${response.statusText}`;
}

// Reads `url` into `append` chunk by chunk; resolves with null or the error text.
async function stream(url, signal, append) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", signal });
  } catch (error) {
    return signal.aborted ? null : `cannot read the log: ${error.message || error}`;
  }
  if (!response.ok) return problemOf(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      append(decoder.decode(value, { stream: true }));
    }
    append(decoder.decode());
  } catch (error) {
    return signal.aborted ? null : `the log stream broke: ${error.message || error}`;
  }
  return null;
}

function Tries({ count, chosen, pick }) {
  if (count <= 1) return null;
  const tries = Array.from({ length: count }, (_, i) => i + 1);
  return html`<span class="log-tries" role="group" aria-label="Tries">${tries.map((n) => html`
    <button class=${n === chosen ? "active" : ""} aria-pressed=${n === chosen}
      onClick=${() => pick(n === count ? null : n)}>Try ${n}</button>`)}</span>`;
}

export function LogView({ path, state, tryNumber }) {
  const [picked, setPicked] = useState(null);
  const [status, setStatus] = useState({ phase: "idle", error: null, size: 0 });
  const [wrap, setWrap] = useState(true);
  const [restart, setRestart] = useState(0);
  const boxRef = useRef(null);
  const preRef = useRef(null);
  const stick = useRef(true);
  const open = useRef({ following: false, live: false });
  const chosen = picked || tryNumber;
  const follow = WRITING.has(state) && chosen === tryNumber;

  // The instance started writing (queued -> running) while we showed a finished read:
  // read again, following.
  useEffect(() => {
    if (follow && !(open.current.live && open.current.following)) setRestart((n) => n + 1);
  }, [follow]);

  useEffect(() => {
    if (!chosen) return undefined;
    const controller = new AbortController();
    // The log's one text node, outside Preact's children (it never re-renders the log).
    const pre = preRef.current;
    pre.textContent = "";
    const text = pre.appendChild(document.createTextNode(""));
    stick.current = true;
    let size = 0;
    const following = follow;
    open.current = { following, live: true };
    setStatus({ phase: following ? "following" : "loading", error: null, size: 0 });
    const append = (chunk) => {
      if (!chunk || size >= SHOWN_LIMIT) return;
      size += chunk.length;
      text.appendData(chunk);
      const box = boxRef.current;
      if (box && stick.current) box.scrollTop = box.scrollHeight;
    };
    const url = `${path}/log?try=${chosen}${following ? "&follow=1" : ""}`;
    stream(url, controller.signal, append).then((error) => {
      if (controller.signal.aborted) return;
      open.current = { following, live: false };
      setStatus({ phase: error ? "error" : "done", error, size });
    });
    return () => controller.abort();
  }, [path, chosen, restart]);

  const scrolled = () => {
    const box = boxRef.current;
    stick.current = box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_END;
  };
  const toEnd = () => { const box = boxRef.current; box.scrollTop = box.scrollHeight; stick.current = true; };

  if (!tryNumber) {
    return html`<p class="muted log-none">This task instance has not run yet: its log starts with its first try.</p>`;
  }
  return html`<div class="log-view">
    <div class="log-bar">
      <${Tries} count=${tryNumber} chosen=${chosen} pick=${setPicked} />
      ${status.phase === "following" && html`<span class="log-live" role="status">Following</span>`}
      ${status.phase === "loading" && html`<span class="muted">Loading…</span>`}
      <span class="log-tools">
        <label><input type="checkbox" checked=${wrap} onChange=${(e) => setWrap(e.target.checked)} /> Wrap</label>
        <button onClick=${toEnd}>End</button>
        <a class="button" href=${`${path}/log?try=${chosen}`} download=${`try-${chosen}.log`}>Download</a>
      </span>
    </div>
    ${status.error && html`<p class="error log-error" role="alert">${status.error}</p>`}
    <div class=${`log-box${wrap ? " wrap" : ""}`} ref=${boxRef} onScroll=${scrolled}
      data-phase=${status.phase} aria-label=${`Log of try ${chosen}`}>
      <pre class="log-text" ref=${preRef}></pre>
      ${status.phase === "done" && !status.size && !status.error && html`<p class="muted">The log is empty.</p>`}
      ${status.size >= SHOWN_LIMIT && html`<p class="warn">Showing the first ${SHOWN_LIMIT / 1048576} MB: download the whole log.</p>`}
    </div>
  </div>`;
}
