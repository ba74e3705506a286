"""PythonOperator, BranchPythonOperator, ShortCircuitOperator: the callable's source
is shipped in the task's `python:` field (see `kairflow.sdk.shipping`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FunctionType
from typing import Any

from kairflow.sdk.baseoperator import BaseOperator
from kairflow.sdk.errors import SdkError
from kairflow.sdk.mapped import Mapped
from kairflow.sdk.shipping.script import PythonCall, python_script
from kairflow.sdk.shipping.values import upstream_of
from kairflow.sdk.skipping import BASH_SKIP_EXIT_CODE, SKIP_EXIT_CODE, skip_codes
from kairflow.sdk.xcom_arg import MappedItem


class PythonOperator(BaseOperator):
    """`PythonOperator(task_id="t", python_callable=f, op_args=[...], op_kwargs={...})`.
    String arguments with Jinja are rendered (as Airflow's templated op_args /
    op_kwargs / templates_dict); XComArgs pass upstream XComs; the return value is
    the XCom. Raising AirflowSkipException skips the task (it exits SKIP_EXIT_CODE,
    which the task's skipOnExitCode lists). `op_args` (a list per instance) or
    `op_kwargs` (a dict per instance) can be mapped with `.partial(...).expand(...)`."""

    call_mode = "python"
    mapped_arguments = frozenset({"op_args", "op_kwargs"})

    def __init__(
        self,
        *,
        python_callable: Any,
        op_args: Sequence[Any] | Mapped | None = None,
        op_kwargs: Mapping[str, Any] | Mapped | MappedItem | None = None,
        templates_dict: Mapping[str, Any] | None = None,
        templates_exts: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        function = getattr(python_callable, "function", python_callable)
        if not isinstance(function, FunctionType):
            raise SdkError(
                f"task {self.task_id!r}: python_callable must be a function defined with "
                f"`def`, not {python_callable!r}",
                self.location,
            )
        self.call = PythonCall(
            function,
            op_args.python_value() if isinstance(op_args, Mapped) else list(op_args or []),
            _kwargs(op_kwargs),
            templates_dict,
            self.call_mode,
        )
        for arg in upstream_of([self.call.args, self.call.kwargs, templates_dict or {}]):
            self.set_upstream(arg)

    def spec_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "python": self.python_script(),
            "skip_on_exit_code": self.skip_exit_codes(),
        }
        if self.call_mode == "branch":
            fields["branch"] = True
        return fields

    def skip_exit_codes(self) -> list[int]:
        """The exit codes that leave the task skipped: the runtime's, for
        AirflowSkipException."""
        return [SKIP_EXIT_CODE]

    def python_script(self) -> str:
        mapped = sorted(t.task_id for t in self.dag.tasks if t.expand is not None)
        return python_script(
            self.call,
            self.dag.dag_id,
            sorted(self.ancestors()),
            mapped,
            f"{Path(self.location.file).name}:{self.location.line}",
        )

    def ancestors(self) -> set[str]:
        found: set[str] = set()
        stack = list(self.upstream.values())
        while stack:
            task = stack.pop()
            if task.task_id not in found:
                found.add(task.task_id)
                stack.extend(task.upstream.values())
        return found


class BashTask(PythonOperator):
    """@task.bash: the function returns the command; `bash -c` runs it. As Airflow's,
    `skip_on_exit_code` (default 99) are the command's exit codes that skip the task;
    raising AirflowSkipException in the function skips it too."""

    call_mode = "bash"

    def __init__(self, *, skip_on_exit_code: Any = BASH_SKIP_EXIT_CODE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.skip_on_exit_code = skip_codes(skip_on_exit_code, f"task {self.task_id!r}")

    def skip_exit_codes(self) -> list[int]:
        return sorted({*self.skip_on_exit_code, SKIP_EXIT_CODE})


class BranchPythonOperator(PythonOperator):
    """The callable returns the task id(s) to follow among the direct downstream tasks."""

    call_mode = "branch"


class ShortCircuitOperator(PythonOperator):
    """A falsy return value skips the downstream tasks (all of them, or only the
    direct ones with ignore_downstream_trigger_rules=False)."""

    call_mode = "short_circuit"

    def __init__(self, *, ignore_downstream_trigger_rules: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules

    def spec_fields(self) -> dict[str, Any]:
        return {
            **super().spec_fields(),
            "short_circuit": True,
            "ignore_downstream_trigger_rules": self.ignore_downstream_trigger_rules,
        }


def _kwargs(op_kwargs: Mapping[str, Any] | Mapped | MappedItem | None) -> Any:
    """The callable's keyword arguments: a dict, or a mapped instance's whole item
    (`.expand(op_kwargs=...)`, a @task's `.expand_kwargs(...)`)."""
    if isinstance(op_kwargs, Mapped):
        return op_kwargs.python_value()
    if isinstance(op_kwargs, MappedItem):
        return op_kwargs
    return dict(op_kwargs or {})
