// Airflow's "Trigger DAG w/ config": a form generated from the DAG's params' JSON
// schemas (an enum is a select, a number has its bounds, the description is the
// field's hint), an optional logical date, and the raw conf JSON kept in sync with the
// form. Checked before it is sent as the server checks it (param_form.js), each
// problem next to its field; on success the grid opens with the new run selected.
import { html, useEffect, useState, getJson, send, nsPath, enc } from "../lib.js";
import {
  fieldsFromParams, readField, defaultConf, textsFromConf, readConf, confProblems, paramMessage,
  typeWords,
} from "./param_form.js";
import { Buttons, FieldError, Problem, fieldOf, go, useAction } from "./dialog_parts.js";

function ParamInput({ field, text, onText }) {
  const id = `param-${field.name}`;
  if (field.kind === "boolean") {
    return html`<input id=${id} type="checkbox" checked=${Boolean(text)}
      onChange=${(e) => onText(e.target.checked)} />`;
  }
  if (field.kind === "select") {
    return html`<select id=${id} value=${text} required=${field.required}
      onChange=${(e) => onText(e.target.value)}>
      ${text === "" && html`<option value="" disabled>Choose…</option>`}
      ${field.options.map((o, i) => html`<option key=${i} value=${String(i)}>${o.label}</option>`)}
    </select>`;
  }
  if (field.kind === "json") {
    return html`<textarea id=${id} class="mono" rows="3" spellcheck="false" value=${text}
      required=${field.required} onInput=${(e) => onText(e.target.value)}></textarea>`;
  }
  const number = field.kind === "number";
  return html`<input id=${id} type=${number ? "number" : "text"} value=${text}
    step=${number ? field.step : undefined} min=${number && field.min !== null ? field.min : undefined}
    max=${number && field.max !== null ? field.max : undefined} required=${field.required}
    aria-describedby=${field.description ? `${id}-hint` : undefined}
    onInput=${(e) => onText(e.target.value)} />`;
}

function ParamField({ field, text, problem, onText }) {
  const id = `param-${field.name}`;
  const boolean = field.kind === "boolean";
  return html`<div class=${`field${problem ? " invalid" : ""}`}>
    <label for=${id} class=${boolean ? "inline" : ""}>
      ${boolean && html`<${ParamInput} field=${field} text=${text} onText=${onText} />`}
      <span class="mono">${field.name}</span>${field.title && html` ${field.title}`}
      <span class="muted"> (${typeWords(field)})</span></label>
    ${!boolean && html`<${ParamInput} field=${field} text=${text} onText=${onText} />`}
    ${field.description && html`<small id=${`${id}-hint`} class="muted hint">${field.description}</small>`}
    <${FieldError} text=${problem} />
  </div>`;
}

export function TriggerDialog({ ns, dag, onClose }) {
  const [detail, setDetail] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [texts, setTexts] = useState({});
  const [jsonText, setJsonText] = useState("{}");
  const [when, setWhen] = useState("");
  const [problems, setProblems] = useState({});
  const { busy, error, act } = useAction();
  const fields = detail ? fieldsFromParams(detail.paramSpecs) : [];

  useEffect(() => {
    getJson(`${nsPath(ns)}/dags/${enc(dag)}`).then((found) => {
      const initial = fieldsFromParams(found.paramSpecs);
      const conf = defaultConf(initial);
      setDetail(found);
      setTexts(textsFromConf(initial, conf));
      setJsonText(JSON.stringify(conf, null, 2));
    }, setLoadError);
  }, [ns, dag]);

  // A field edit goes into the JSON when both read; the JSON's edit fills the fields.
  const editField = (field, text) => {
    setTexts({ ...texts, [field.name]: text });
    const read = readField(field, text);
    const raw = readConf(jsonText);
    const conf = raw.error || read.error ? null : { ...raw.conf, [field.name]: read.value };
    // The field's own check as soon as it reads (a bound, the enum): next to it.
    const problem = read.error || (conf && paramMessage(field, conf)) || null;
    setProblems({ ...problems, [field.name]: problem, $conf: raw.error || null });
    if (conf) setJsonText(JSON.stringify(conf, null, 2));
  };
  const editJson = (text) => {
    setJsonText(text);
    const raw = readConf(text);
    if (raw.error) { setProblems({ ...problems, $conf: raw.error }); return; }
    setTexts(textsFromConf(fields, raw.conf));
    setProblems({});
  };

  const submit = async (event) => {
    event.preventDefault();
    const found = confProblems(fields, texts, jsonText);
    setProblems(found);
    if (Object.keys(found).length) return;
    const body = { conf: readConf(jsonText).conf };
    if (when) body.logicalDate = when;
    const created = await act(() => send("POST", `${nsPath(ns)}/dags/${enc(dag)}/runs`, body));
    if (created) {
      onClose();
      go(`#/ns/${enc(ns)}/dags/${enc(dag)}/grid?run=${enc(created.name)}`);
    }
  };

  const serverField = fieldOf(error, ["logicalDate", "conf"]);
  return html`<form class="action-dialog trigger-dialog" onSubmit=${submit} novalidate>
    <h2>Trigger DAG <span class="mono">${dag}</span></h2>
    ${loadError && html`<${Problem} error=${loadError} />`}
    ${!detail && !loadError && html`<p class="loading">Loading…</p>`}
    ${detail && html`
      ${detail.paused && html`<p class="note" role="note">This DAG is paused: the run waits
        (queued) until the DAG is unpaused.</p>`}
      <div class=${`field${serverField === "logicalDate" ? " invalid" : ""}`}>
        <label for="trigger-when">Logical date <span class="muted">(optional; in the DAG's
          time zone, ${detail.timezone}; empty means now)</span></label>
        <input id="trigger-when" type="datetime-local" step="1" value=${when}
          onInput=${(e) => setWhen(e.target.value)} />
        ${serverField === "logicalDate" && html`<${FieldError} text=${error.message} />`}
      </div>
      ${fields.length > 0 && html`<fieldset class="params"><legend>Params</legend>
        ${fields.map((field) => html`<${ParamField} key=${field.name} field=${field}
          text=${texts[field.name]} problem=${problems[field.name]}
          onText=${(text) => editField(field, text)} />`)}
      </fieldset>`}
      <div class=${`field${problems.$conf ? " invalid" : ""}`}>
        <label for="trigger-conf">Configuration JSON <span class="muted">(the run's conf;
          kept in step with the params above)</span></label>
        <textarea id="trigger-conf" class="mono conf" rows="6" spellcheck="false"
          value=${jsonText} onInput=${(e) => editJson(e.target.value)}></textarea>
        <${FieldError} text=${problems.$conf} />
      </div>
      ${serverField !== "logicalDate" && html`<${Problem} error=${error} />`}`}
    <${Buttons} onClose=${onClose}>
      <button type="submit" class="primary" disabled=${!detail || busy}>
        ${busy ? "Triggering…" : "Trigger"}</button>
    </${Buttons}>
  </form>`;
}
