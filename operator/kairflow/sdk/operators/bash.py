"""BashOperator: `bash -c` on the (templated) command."""

from __future__ import annotations

from typing import Any

from kairflow.sdk.baseoperator import BaseOperator
from kairflow.sdk.mapped import Mapped
from kairflow.sdk.operators.fields import env_vars, mapped_env, templated
from kairflow.sdk.skipping import BASH_SKIP_EXIT_CODE, skip_codes


class BashOperator(BaseOperator):
    """`BashOperator(task_id="print_date", bash_command="date")`. `env` is added to the
    pod's environment (Kairflow always appends, whatever `append_env` says); the last
    line of stdout is pushed as the XCom, as in Airflow (`do_xcom_push=False`: none;
    JSON written to $KAIRFLOW_XCOM_FILE by the command wins).
    `skip_on_exit_code` (default 99, an int or a list; None: no code skips) leaves
    the task skipped when the command exits with it, as in Airflow. `bash_command`
    or `env` can be mapped (`BashOperator.partial(...).expand(bash_command=[...])`)."""

    mapped_arguments = frozenset({"bash_command", "env"})

    def __init__(
        self,
        *,
        bash_command: Any,
        env: Any = None,
        append_env: bool = False,
        skip_on_exit_code: Any = BASH_SKIP_EXIT_CODE,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bash_command = templated(self, bash_command, "bash_command")
        # A mapped env is exported by the command itself (see mapped_env).
        self.exports = mapped_env(env, "env") if isinstance(env, Mapped) else ""
        self.env = None if isinstance(env, Mapped) else env_vars(self, env, "env")
        self.skip_on_exit_code = skip_codes(skip_on_exit_code, f"task {self.task_id!r}")

    def spec_fields(self) -> dict[str, Any]:
        return {
            "bash": self.exports + self.bash_command,
            "env": self.env,
            "skip_on_exit_code": self.skip_on_exit_code or None,
        }
