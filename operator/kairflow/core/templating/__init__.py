"""Airflow's Jinja templating, in a sandbox.

Templated fields: a task's `bash`, `python`, `command`, `args` and `env[].value`.
The context has Airflow's names and formats (`ds`, `ts`, `logical_date`,
`data_interval_start`, `params`, `dag_run.conf`, `ti.xcom_pull(...)`, `macros.ds_add`,
...; see `build_context`). Dates are in UTC, as in Airflow.

Safety. Templates are written by DAG authors and rendered inside the operator, which
serves every namespace, so:

- Jinja2's `SandboxedEnvironment` refuses `__dunder__` and other internal attributes
  (`''.__class__`, `cycler.__init__.__globals__`) and sandboxes `str.format`
  (`sandbox`).
- The context holds plain data and small purpose-built objects (`context`, `names`).
  Airflow's `macros` exposes whole modules (`macros.uuid.os.system` would be
  reachable); here `macros` is a curated namespace of functions and classes that
  touch no file, network or process (`macros`). `var`, `conn` and Airflow's `conf`
  are not available (Variables and Connections become ConfigMaps and Secrets through
  `env` / `envFrom`).
- Cheap guards bound memory where one step is one C call: `*`, `**`, `+`, `~` and
  `%` on big operands, `str.format` / `%` widths and arguments, `str.join`,
  `list.extend`, the text of `{{ value }}`, blocks and macros (`sandbox`, measured
  by `sizes`), the filters (`join`, `sum`, `tojson`, the ones that turn their input
  into text) and the input of slow ones (`wordwrap`, `urlize`, `pprint`; `filters`),
  dateutil's parse (`macros`), and the rendered size of a field (`rendering`).
- A CPU-time budget bounds a render (`budget`): `range` is capped by Jinja, but
  loops nest and macros recurse.
- Every failure becomes a `TemplateError` naming the field; undefined names fail
  (StrictUndefined) instead of rendering as empty strings (`undefined`).

Modules: `context` (what templates see), `names` (context objects that know their
template name), `macros` (Airflow's macros and date filters), `undefined`,
`sandbox` (the Jinja environment and size guards), `sizes` (how large a result
would be), `filters` (Jinja's filters, guarded), `budget` (CPU time),
`rendering` (the public functions), `errors`.
"""

from kairflow.core.templating.context import TemplateContext, build_context
from kairflow.core.templating.errors import TemplateError
from kairflow.core.templating.rendering import (
    MAX_RENDERED_CHARS,
    RenderedTask,
    check_template_syntax,
    has_templates,
    render,
    render_task,
)

__all__ = [
    "MAX_RENDERED_CHARS",
    "RenderedTask",
    "TemplateContext",
    "TemplateError",
    "build_context",
    "check_template_syntax",
    "has_templates",
    "render",
    "render_task",
]
