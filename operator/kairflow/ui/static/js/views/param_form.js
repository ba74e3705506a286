// Airflow's "Trigger DAG w/ config" form, without the DOM: one field per DAG param,
// generated from its JSON schema (the server reads the params, see `paramSpecs` in
// ui/summaries.py: a plain default's schema is its JSON type), and the conf JSON the
// fields and the raw editor both edit. Pure functions, so the form and the JSON editor
// stay in sync by going through the same conf object, and the checks here say what
// the server's (core/params.py, jsonschema) would refuse, in the same words.

// The JSON type of a value, in the server's words (core/param_messages.py `json_type`).
export function jsonType(value) {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number") return "number";
  if (typeof value === "string") return "string";
  if (Array.isArray(value)) return "array";
  return "object";
}

const SIMPLE = ["string", "number", "integer", "boolean"];

function typesOf(schema) {
  if (schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

// How each param is edited: an enum → a select, boolean → checkbox, number/integer →
// a number input with the schema's bounds, string → text; anything else (arrays,
// objects, several types, no type) → a JSON textarea. A nullable simple type reads an
// empty field as null.
export function fieldsFromParams(specs) {
  return Object.entries(specs || {}).map(([name, spec]) => {
    const schema = spec.schema || {};
    const types = typesOf(schema);
    const nullable = types.includes("null");
    const simple = types.filter((t) => t !== "null");
    let kind = "json";
    if (Array.isArray(schema.enum)) kind = "select";
    else if (simple.length === 1 && SIMPLE.includes(simple[0])) {
      kind = simple[0] === "integer" ? "number" : simple[0];
    }
    const field = {
      name,
      kind,
      type: types.length ? types.join(" or ") : "null",
      plain: Boolean(spec.plain),
      schema,
      default: spec.default,
      nullable,
      integer: simple[0] === "integer",
      title: typeof schema.title === "string" ? schema.title : null,
      description: typeof schema.description === "string" ? schema.description : null,
    };
    field.required = valueProblem(field, spec.default) !== null;
    if (kind === "select") {
      const labels = schema.values_display || {};
      field.options = schema.enum.map((value) => ({ value, label: String(labels[value] ?? value) }));
    }
    if (kind === "number") {
      field.min = schema.minimum ?? schema.exclusiveMinimum ?? null;
      field.max = schema.maximum ?? schema.exclusiveMaximum ?? null;
      field.step = field.integer ? 1 : "any";
    }
    return field;
  });
}

// What a field's label says of the values it takes: "integer, 1 to 100",
// "date, optional", "one of the choices", "any JSON".
export function typeWords(field) {
  const schema = field.schema;
  const simple = typesOf(schema).filter((t) => t !== "null");
  let words = simple.length ? simple.join(" or ") : "any JSON";
  if (field.kind === "select") words = "one of the choices";
  else if (typeof schema.format === "string") words = schema.format;
  if (field.kind === "number" && (field.min !== null || field.max !== null)) {
    if (field.min !== null && field.max !== null) words += `, ${field.min} to ${field.max}`;
    else words += field.min !== null ? `, from ${field.min}` : `, up to ${field.max}`;
  }
  if (field.required) return `${words}, required`;
  return field.nullable && simple.length ? `${words}, optional` : words;
}

// The text a field shows for a conf value (a select's is the chosen option's index).
export function fieldText(field, value) {
  if (field.kind === "boolean") return Boolean(value);
  if (field.kind === "select") {
    const at = field.options.findIndex((o) => JSON.stringify(o.value) === JSON.stringify(value));
    return at < 0 ? "" : String(at);
  }
  if (field.kind === "json") return JSON.stringify(value === undefined ? null : value, null, 2);
  if (value === undefined || value === null) return "";
  return String(value);
}

// A field's text read back as a value: { value } or { error }.
export function readField(field, text) {
  if (field.kind === "boolean") return { value: Boolean(text) };
  if (field.kind === "select") {
    const option = field.options[Number(text)];
    if (text === "" || option === undefined) return { error: "Choose a value." };
    return { value: option.value };
  }
  if (field.kind === "string") {
    return { value: text === "" && field.nullable ? null : text };
  }
  if (field.kind === "number") {
    const trimmed = String(text).trim();
    if (trimmed === "" && field.nullable) return { value: null };
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

// -- the schema's checks, as the server words them (core/param_messages.py) ----------

// JSON as Python's json.dumps writes it (", " and ": "), as the server's messages do.
function dumps(value) {
  if (Array.isArray(value)) return `[${value.map(dumps).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${dumps(v)}`).join(", ")}}`;
  }
  return JSON.stringify(value);
}

function show(value, limit = 60) {
  const text = typeof value === "string" ? `'${value}'` : dumps(value);
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function values(list) {
  const items = list.map((v) => show(v, 30));
  if (items.length > 8) return `${items.slice(0, 8).join(", ")}, … (${items.length} values)`;
  return items.join(", ");
}

function article(type) {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function gotType(value) {
  if (Number.isInteger(value)) return "an integer";
  const type = jsonType(value);
  return type === "null" ? "null" : article(type);
}

function hasType(value, type) {
  if (type === "integer") return Number.isInteger(value);
  if (type === "number") return typeof value === "number";
  return jsonType(value) === type;
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const TIME = /^\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const FORMATS = { date: DATE, "date-time": DATE_TIME, time: TIME };

// The schema's pattern as a JavaScript RegExp; null when it is none or JavaScript
// cannot read it (a Python-only construct): the server checks it then.
function regex(pattern) {
  if (typeof pattern !== "string") return null;
  try {
    return new RegExp(pattern, "u");
  } catch {
    return null;
  }
}

function validDate(text) {
  const [y, m, d] = text.slice(0, 10).split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

// [path, must, rule] when `value` fails `schema`, else null: the keywords the form
// checks (what a schema-less check cannot: anyOf and friends are left to the server,
// whose 422 shows under the form).
function schemaProblem(schema, value, path = "") {
  const types = typesOf(schema);
  if (types.length && !types.some((t) => hasType(value, t))) {
    const words = types.map((t) => (t === "null" ? "null" : article(t))).join(" or ");
    const rule = `type ${types.join(" or ")}`;
    return [path, `be ${words}, not ${gotType(value)}`, rule];
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((v) => same(v, value))) {
    return [path, `be one of ${values(schema.enum)}, not ${show(value)}`, "enum"];
  }
  if ("const" in schema && !same(schema.const, value)) {
    return [path, `be ${show(schema.const)}, not ${show(value)}`, "const"];
  }
  if (typeof value === "number") {
    const bounds = [
      ["minimum", ">=", (v, b) => v >= b], ["maximum", "<=", (v, b) => v <= b],
      ["exclusiveMinimum", ">", (v, b) => v > b], ["exclusiveMaximum", "<", (v, b) => v < b],
    ];
    for (const [word, sign, ok] of bounds) {
      if (typeof schema[word] === "number" && !ok(value, schema[word])) {
        return [path, `be ${sign} ${show(schema[word])}, not ${show(value)}`, `${word} ${show(schema[word])}`];
      }
    }
    if (typeof schema.multipleOf === "number" && !Number.isInteger(value / schema.multipleOf)) {
      return [path, `be a multiple of ${show(schema.multipleOf)}, not ${show(value)}`, `multipleOf ${show(schema.multipleOf)}`];
    }
  }
  if (typeof value === "string") {
    const length = [...value].length;
    for (const [word, words, ok] of [["minLength", "at least", (n, b) => n >= b], ["maxLength", "at most", (n, b) => n <= b]]) {
      if (typeof schema[word] === "number" && !ok(length, schema[word])) {
        const unit = schema[word] === 1 ? "character" : "characters";
        return [path, `be ${words} ${schema[word]} ${unit} long, not ${show(value)}`, `${word} ${schema[word]}`];
      }
    }
    const pattern = regex(schema.pattern);
    if (pattern && !pattern.test(value)) {
      return [path, `match ${show(schema.pattern)}, not ${show(value)}`, "pattern"];
    }
    const format = FORMATS[schema.format];
    if (format && !(format.test(value) && (schema.format === "time" || validDate(value)))) {
      return [path, `be a ${schema.format}, not ${show(value)}`, `format ${schema.format}`];
    }
  }
  if (Array.isArray(value)) {
    for (const [word, words, ok] of [["minItems", "at least", (n, b) => n >= b], ["maxItems", "at most", (n, b) => n <= b]]) {
      if (typeof schema[word] === "number" && !ok(value.length, schema[word])) {
        const unit = schema[word] === 1 ? "item" : "items";
        return [path, `have ${words} ${schema[word]} ${unit}, not ${value.length}`, `${word} ${schema[word]}`];
      }
    }
    if (schema.uniqueItems === true && new Set(value.map((v) => JSON.stringify(v))).size < value.length) {
      return [path, "have no item twice", "uniqueItems"];
    }
    if (schema.items && typeof schema.items === "object") {
      for (let i = 0; i < value.length; i += 1) {
        const found = schemaProblem(schema.items, value[i], `${path}[${i}]`);
        if (found) return found;
      }
    }
  }
  return null;
}

// Why a value does not pass a field's param (as the server words it), or null.
export function valueProblem(field, value) {
  const found = schemaProblem(field.schema, value);
  if (!found) return null;
  const [path, must, rule] = found;
  if (field.plain && rule.startsWith("type ")) {
    return { path: "", must: `be ${article(field.type)} like the param's default, not ${article(jsonType(value))}`, rule: null };
  }
  return { path, must, rule };
}

// The message for one param (core/params.py `conf_problems`): the conf's value when
// given, else the default's (a required param).
export function paramMessage(field, conf) {
  const given = field.name in conf;
  const problem = valueProblem(field, given ? conf[field.name] : field.default);
  if (!problem) return null;
  const rule = problem.rule ? ` (param ${field.name}: ${problem.rule})` : "";
  if (given) return `conf '${field.name}'${problem.path} must ${problem.must}${rule}`;
  if (field.default === null || field.default === undefined) {
    return `conf '${field.name}' is required (param ${field.name} has no default)`;
  }
  return `conf '${field.name}' is required: the param's default ${show(field.default)} must ${problem.must}${rule}`;
}

// Every problem before a trigger, keyed by field name (`$conf` for the raw editor):
// fields that do not read, and params the conf (merged over the defaults) does not
// pass (what the server would refuse with 422).
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
    if (problems[field.name]) continue;
    const message = paramMessage(field, raw.conf);
    if (message) problems[field.name] = message;
  }
  return problems;
}
