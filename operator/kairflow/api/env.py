"""Container pieces shared by tasks and callbacks: environment variables, and the
schema marker of free-form fields."""

from __future__ import annotations

from typing import Any

from pydantic import Field, JsonValue

from kairflow.api.common import WireModel

FREE_FORM: dict[str, JsonValue] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


class EnvVar(WireModel):
    """A container environment variable (Kubernetes EnvVar); values are templated."""

    name: str = Field(description="Variable name.")
    value: str | None = Field(default=None, description="Value (Jinja-templated).")
    value_from: dict[str, Any] | None = Field(
        default=None,
        description="A Kubernetes EnvVarSource (configMapKeyRef, secretKeyRef, fieldRef...).",
        json_schema_extra=FREE_FORM,
    )
