// Airflow's "Trigger DAG w/ config" form, without the DOM: one field per DAG param,
// typed by its default (as the server's `core.params.conf_problems` checks conf), and
// the conf JSON the fields and the raw editor both edit. Pure functions, so the form
// and the JSON editor stay in sync by going through the same conf object.

// The JSON type of a value, in the server's words (core/params.py `_json_type`).
export function jsonType(value) {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number") return "number";
  if (typeof value === "string") return "string";
  if (Array.isArray(value)) return "array";
  return "object";
}

// How each param is edited: string → text, number → number input, boolean → checkbox,
// array/object (and a null default, which takes any JSON) → a JSON textarea.
export function fieldsFromParams(params) {
  return Object.entries(params || {}).map(([name, value]) => {
    const type = jsonType(value);
    const kind = type === "array" || type === "object" || type === "null" ? "json" : type;
    return { name, kind, type, default: value };
  });
}

// The text a field shows for a conf value.
export function fieldText(field, value) {
  if (field.kind === "boolean") return Boolean(value);
  if (field.kind === "json") return JSON.stringify(value === undefined ? null : value, null, 2);
  if (value === undefined || value === null) return "";
  return String(value);
}

// A field's text read back as a value: { value } or { error }.
export function readField(field, text) {
  if (field.kind === "boolean") return { value: Boolean(text) };
  if (field.kind === "string") return { value: text };
  if (field.kind === "number") {
    const trimmed = String(text).trim();
    const number = Number(trimmed);
    if (trimmed === "" || !Number.isFinite(number)) return { error: "Enter a number." };
    return { value: number };
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `Not valid JSON: ${error.message}` };
  }
  if (field.type !== "null" && jsonType(value) !== field.type) {
    return { error: `Must be a JSON ${field.type}, like the param's default.` };
  }
  return { value };
}

// The conf the raw editor shows: the params' defaults, as Airflow pre-fills them.
export function defaultConf(fields) {
  return Object.fromEntries(fields.map((f) => [f.name, f.default]));
}

export function textsFromConf(fields, conf) {
  return Object.fromEntries(fields.map((f) => [f.name, fieldText(f, conf[f.name])]));
}

// The raw editor's text read back: { conf } (a JSON object) or { error }.
export function readConf(text) {
  if (!String(text).trim()) return { conf: {} };
  let conf;
  try {
    conf = JSON.parse(text);
  } catch (error) {
    return { error: `Not valid JSON: ${error.message}` };
  }
  if (jsonType(conf) !== "object") return { error: "The configuration must be a JSON object." };
  return { conf };
}

// Every problem before a trigger, keyed by field name (`$conf` for the raw editor):
// fields that do not read, and conf values whose type is not their param's (what the
// server would refuse with 422).
export function confProblems(fields, texts, jsonText) {
  const problems = {};
  for (const field of fields) {
    const read = readField(field, texts[field.name]);
    if (read.error) problems[field.name] = read.error;
  }
  const raw = readConf(jsonText);
  if (raw.error) {
    problems.$conf = raw.error;
    return problems;
  }
  for (const field of fields) {
    if (field.type === "null" || !(field.name in raw.conf) || problems[field.name]) continue;
    const got = jsonType(raw.conf[field.name]);
    if (got !== field.type) {
      problems[field.name] = `Must be a ${field.type} like the param's default, not a ${got}.`;
    }
  }
  return problems;
}
