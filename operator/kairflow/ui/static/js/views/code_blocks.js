// YAML and unified diffs as the Code tab shows them: numbered lines, keys and values
// told apart, added and removed lines coloured. Every piece of text is an htm text
// node; line numbers come from data attributes through CSS, so copying takes the code.
import { html } from "../lib.js";

const KEY = /^(\s*(?:- )*)([\w./-]+|"[^"]*"|'[^']*')(:)(?=\s|$)(.*)$/;
const ITEM = /^(\s*(?:- )+)(.*)$/;
const LITERAL = /^(true|false|null|~|-?\d+(\.\d+)?)$/;
const BLOCK = /^[|>][-+]?\d*$/;

function value(text) {
  const trimmed = text.trim();
  if (!trimmed) return text;
  if (trimmed.startsWith("#")) return html`<span class="y-com">${text}</span>`;
  if (LITERAL.test(trimmed)) return html`<span class="y-lit">${text}</span>`;
  if (/^['"]/.test(trimmed)) return html`<span class="y-str">${text}</span>`;
  if (BLOCK.test(trimmed)) return html`<span class="y-ind">${text}</span>`;
  return html`<span class="y-val">${text}</span>`;
}

// One vnode per line; lines inside a literal block (`key: |`) are the block's text.
export function highlightYaml(text) {
  const lines = text.replace(/\n$/, "").split("\n");
  let blockColumn = null;
  return lines.map((line) => {
    const indent = line.length - line.trimStart().length;
    if (blockColumn !== null && (line.trim() === "" || indent > blockColumn)) {
      return html`<span class="y-str">${line}</span>`;
    }
    blockColumn = null;
    if (/^\s*#/.test(line) || line === "---") return html`<span class="y-com">${line}</span>`;
    const key = KEY.exec(line);
    if (key) {
      if (BLOCK.test(key[4].trim())) blockColumn = key[1].length;
      return html`<span class="y-dash">${key[1]}</span><span class="y-key">${key[2]}</span>${key[3]}${value(key[4])}`;
    }
    const item = ITEM.exec(line);
    if (item) return html`<span class="y-dash">${item[1]}</span>${value(item[2])}`;
    return line;
  });
}

// [{kind: file|hunk|add|del|ctx, oldN, newN, text}] of a unified diff.
export function parseDiff(text) {
  const rows = [];
  let oldN = 0;
  let newN = 0;
  for (const line of text.replace(/\n$/, "").split("\n")) {
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (line.startsWith("---") || line.startsWith("+++")) rows.push({ kind: "file", text: line });
    else if (hunk) {
      oldN = Number(hunk[1]);
      newN = Number(hunk[2]);
      rows.push({ kind: "hunk", text: line });
    } else if (line.startsWith("+")) rows.push({ kind: "add", newN: newN++, text: line.slice(1) });
    else if (line.startsWith("-")) rows.push({ kind: "del", oldN: oldN++, text: line.slice(1) });
    else if (line.startsWith(" ")) rows.push({ kind: "ctx", oldN: oldN++, newN: newN++, text: line.slice(1) });
  }
  return rows;
}

export function YamlBlock({ text, label }) {
  const lines = highlightYaml(text);
  return html`<pre class="code-block yaml" aria-label=${label}>${lines.map((parts, i) => html`
    <div class="code-line" data-n=${i + 1}>${parts}</div>`)}</pre>`;
}

const SIGNS = { add: "+", del: "−", ctx: " " };

export function DiffBlock({ rows }) {
  return html`<pre class="code-block diff" aria-label="Changes">${rows.filter((r) => r.kind !== "file").map((r) => (
    r.kind === "hunk"
      ? html`<div class="diff-line hunk">${r.text}</div>`
      : html`<div class=${`diff-line ${r.kind}`} data-old=${r.oldN ?? ""} data-new=${r.newN ?? ""}>
          <span class="sign">${SIGNS[r.kind]}</span>${r.text}</div>`))}</pre>`;
}
