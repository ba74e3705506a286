"""A container's environment, resolved through the API the way a kubelet does.

Order and precedence follow the kubelet: `envFrom` sources first (ConfigMaps and
Secrets, each with an optional prefix; keys that are not valid variable names are
skipped), then `env` in order, later entries replacing earlier ones. `env` values
expand `$(VAR)` references to variables defined before them (`$$` escapes a `$`;
unknown references stay as written), and so do the command and args, against the
final environment. `valueFrom` supports configMapKeyRef, secretKeyRef (decoded),
fieldRef (metadata.name/namespace/uid, metadata.labels['k'],
metadata.annotations['k'], spec.nodeName, spec.serviceAccountName,
status.hostIP/podIP/podIPs: 127.0.0.1) and resourceFieldRef (the quantity as
written in the container's resources, else "0").

A missing ConfigMap, Secret or key that is not `optional` raises
`ContainerConfigError`: the container then waits with reason
CreateContainerConfigError and the agent retries, as a kubelet does.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from kubernetes_asyncio import client

from kairflow.localnode.kapi import KubeError, call, core_api

POD_IP = "127.0.0.1"
_VALID_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_SUBSCRIPT = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


class ContainerConfigError(Exception):
    """The container cannot be configured (yet): reason CreateContainerConfigError."""

    reason = "CreateContainerConfigError"


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "$" or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "(":
            end = text.find(")", i + 2)
            if end < 0:
                out.append("$(")
                i += 2
                continue
            name = text[i + 2 : end]
            out.append(env.get(name, f"$({name})"))
            i = end + 1
        else:
            out.append("$" + nxt)
            i += 2
    return "".join(out)


class EnvResolver:
    """Resolves containers of one pod; ConfigMaps and Secrets are read once each."""

    def __init__(self, api: client.ApiClient, pod: Mapping[str, Any]) -> None:
        self.core = core_api(api)
        self.pod = pod
        self.namespace = str(pod["metadata"]["namespace"])
        self._cache: dict[tuple[str, str], dict[str, str] | None] = {}

    async def resolve(self, container: Mapping[str, Any]) -> dict[str, str]:
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            prefix = str(source.get("prefix") or "")
            for kind in ("configMapRef", "secretRef"):
                ref = source.get(kind)
                if ref is None:
                    continue
                data = await self._source(kind, ref)
                for name, value in (data or {}).items():
                    if _VALID_NAME.match(prefix + name):
                        env[prefix + name] = value
        for item in container.get("env") or []:
            name = str(item["name"])
            if item.get("valueFrom") is not None:
                found = await self._value_from(container, name, item["valueFrom"])
                if found is not None:
                    env[name] = found
            else:
                env[name] = expand(str(item.get("value") or ""), env)
        return env

    async def _source(self, kind: str, ref: Mapping[str, Any]) -> dict[str, str] | None:
        name = str(ref.get("name") or "")
        data = await self._read(kind, name)
        if data is None and not ref.get("optional"):
            what = "configmap" if kind.startswith("configMap") else "secret"
            raise ContainerConfigError(f'{what} "{name}" not found')
        return data

    async def _value_from(
        self, container: Mapping[str, Any], var: str, source: Mapping[str, Any]
    ) -> str | None:
        for kind, label in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
            ref = source.get(kind)
            if ref is None:
                continue
            data = await self._source(kind, ref)
            if data is None:
                return None  # optional and missing
            wanted = str(ref.get("key"))
            if wanted not in data:
                if ref.get("optional"):
                    return None
                raise ContainerConfigError(
                    f"couldn't find key {wanted} in {label} {self.namespace}/{ref.get('name')}"
                )
            return data[wanted]
        if source.get("fieldRef") is not None:
            return self._field(str(source["fieldRef"].get("fieldPath")), var)
        if source.get("resourceFieldRef") is not None:
            return _resource(container, source["resourceFieldRef"])
        raise ContainerConfigError(f"env {var}: unsupported valueFrom {dict(source)}")

    def _field(self, path: str, var: str) -> str:
        meta = self.pod.get("metadata") or {}
        spec = self.pod.get("spec") or {}
        simple = {
            "metadata.name": meta.get("name"),
            "metadata.namespace": meta.get("namespace"),
            "metadata.uid": meta.get("uid"),
            "spec.nodeName": spec.get("nodeName"),
            "spec.serviceAccountName": spec.get("serviceAccountName"),
            "status.hostIP": POD_IP,
            "status.podIP": POD_IP,
            "status.podIPs": POD_IP,
        }
        if path in simple:
            return str(simple[path] or "")
        match = _SUBSCRIPT.match(path)
        if match:
            return str((meta.get(match.group(1)) or {}).get(match.group(2), ""))
        if path in ("metadata.labels", "metadata.annotations"):
            values = meta.get(path.split(".")[1]) or {}
            return "\n".join(f'{k}="{v}"' for k, v in sorted(values.items()))
        raise ContainerConfigError(f"env {var}: unsupported fieldPath {path!r}")

    async def _read(self, kind: str, name: str) -> dict[str, str] | None:
        cache_key = (kind, name)
        if cache_key in self._cache:
            return self._cache[cache_key]
        secret = kind.startswith("secret")
        read = self.core.read_namespaced_secret if secret else self.core.read_namespaced_config_map
        try:
            body = await call(read(name, self.namespace, _preload_content=False))
        except KubeError as exc:
            if exc.status != 404:
                raise ContainerConfigError(f"reading {kind} {name}: {exc.message}") from None
            self._cache[cache_key] = None
            return None
        data: dict[str, str] = {}
        for item_key, value in (body.get("data") or {}).items():
            data[item_key] = base64.b64decode(value).decode(errors="replace") if secret else value
        if not secret:
            for item_key, value in (body.get("binaryData") or {}).items():
                data[item_key] = base64.b64decode(value).decode(errors="replace")
        self._cache[cache_key] = data
        return data


def _resource(container: Mapping[str, Any], ref: Mapping[str, Any]) -> str:
    resource = str(ref.get("resource") or "")
    group, _, name = resource.partition(".")
    resources = container.get("resources") or {}
    value = (resources.get(group) or {}).get(name)
    if value is None and group == "limits":
        value = (resources.get("requests") or {}).get(name)
    return str(value if value is not None else "0")
