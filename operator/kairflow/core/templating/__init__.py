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
- Cheap guards bound memory: `*`, `**`, `+` and `%` on big operands, `str.format`
  / `%` widths, `center` / `indent` / `replace` (`sandbox`), and the rendered size
  of a field (`rendering`).
- A CPU-time budget bounds a render (`budget`): `range` is capped by Jinja, but
  loops nest and macros recurse.
- Every failure becomes a `TemplateError` naming the field; undefined names fail
  (StrictUndefined) instead of rendering as empty strings (`undefined`).

Modules: `context` (what templates see), `names` (context objects that know their
template name), `macros` (Airflow's macros and date filters), `undefined`,
`sandbox` (the Jinja environment and size guards), `budget` (CPU time),
`rendering` (the public functions), `errors`.
"""

from kairflow.core.templating.context import TemplateContext, build_context
from kairflow.core.templating.errors import TemplateError
from kairflow.core.templating.rendering import (
    MAX_RENDERED_CHARS,
    RenderedTask,
    check_template_syntax,
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
    "render",
    "render_task",
]
