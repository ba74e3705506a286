"""KubernetesPodOperator (also `ContainerOperator`): a container command in an image."""

from __future__ import annotations

from typing import Any

from kairflow.sdk.baseoperator import BaseOperator
from kairflow.sdk.errors import SdkError
from kairflow.sdk.operators.fields import env_vars, templated_list
from kairflow.sdk.skipping import skip_codes

_DROPPED = (
    "namespace", "name", "labels", "annotations", "in_cluster", "cluster_context",
    "config_file", "get_logs", "is_delete_operator_pod", "on_finish_action",
    "startup_timeout_seconds", "image_pull_policy", "service_account_name",
    "node_selector", "tolerations", "volumes", "volume_mounts", "container_resources",
    "affinity", "secrets", "image_pull_secrets", "kubernetes_conn_id", "do_xcom_push",
)  # fmt: skip


class KubernetesPodOperator(BaseOperator):
    """`KubernetesPodOperator(task_id="t", image="alpine", cmds=["sh", "-c"],
    arguments=["echo hi"], env_vars={"A": "1"})`. Pod details (node selectors,
    volumes, resources...) go in Kairflow's `pod_template`; the others are dropped
    with a warning. `skip_on_exit_code` (default None, as the provider's) leaves the
    task skipped when the container exits with it. `arguments` or `cmds` can be mapped
    over a literal list of lists of one length (a pod's list is fixed)."""

    mapped_arguments = frozenset({"arguments", "cmds"})

    def __init__(
        self,
        *,
        image: str,
        cmds: Any = None,
        arguments: Any = None,
        env_vars: Any = None,
        skip_on_exit_code: Any = None,
        **kwargs: Any,
    ) -> None:
        dropped = sorted(k for k in kwargs if k in _DROPPED)
        for key in dropped:
            kwargs.pop(key)
        super().__init__(image=image, **kwargs)
        for key in dropped:
            self.dag.warn(f"task {self.task_id!r}: {key} is not supported, ignored", self.location)
        if not cmds:
            raise SdkError(
                f"task {self.task_id!r}: cmds is required (Kairflow does not run an image's "
                "own entrypoint)",
                self.location,
            )
        self.cmds = templated_list(self, cmds, "cmds")
        self.arguments = templated_list(self, arguments, "arguments")
        self.env_vars = _env(self, env_vars)
        self.skip_on_exit_code = skip_codes(skip_on_exit_code, f"task {self.task_id!r}")

    def spec_fields(self) -> dict[str, Any]:
        return {
            "command": self.cmds,
            "args": self.arguments,
            "env": self.env_vars,
            "skip_on_exit_code": self.skip_on_exit_code or None,
        }


def _env(task: BaseOperator, value: Any) -> list[dict[str, Any]] | None:
    return env_vars(task, value, "env_vars")


ContainerOperator = KubernetesPodOperator
