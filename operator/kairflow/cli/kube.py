"""The CLI's access to a cluster: the user's kubeconfig, context and namespace, read
the way kubectl reads them, and API errors turned into one line a person can act on.

The CLI is a short-lived process, so it uses the synchronous `kubernetes` client
(the operator uses the asyncio one). Every call goes through `Cluster`, which maps
`ApiException` and connection failures to `UserError`s with kubectl-like wording and
an exit code scripts can rely on (see `errors`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from urllib3.exceptions import HTTPError

from kairflow.api.common import GROUP, VERSION
from kairflow.cli.errors import (
    EXIT_FORBIDDEN,
    EXIT_NOT_FOUND,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    UserError,
    one_line,
)
from kairflow.cli.run_watch import Watching, watch_run
from kairflow.requests import sliced_runs
from kairflow.requests.dag_versions import VersionSpecs, config_map_body

KINDS = {"dags": "DAG", "dagruns": "DagRun", "backfills": "Backfill"}
MIB = 1024 * 1024
ETCD_REQUEST_LIMIT = 1.5 * MIB
"""etcd's default --max-request-bytes: the largest object an API server can store."""
_SINGULAR = {
    "dags": "dag",
    "dagruns": "dagrun",
    "backfills": "backfill",
    "pods": "pod",
    "pools": "pool",
    "assets": "asset",
}


@dataclass(frozen=True)
class Target:
    """Where a command acts, from kubectl's flags: `--kubeconfig`, `--context`,
    `-n/--namespace` and `-A/--all-namespaces`."""

    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    all_namespaces: bool = False


def _context_entry(kubeconfig: str | None, context: str | None) -> dict[str, Any]:
    """The kubeconfig's (current or named) context's `context` entry ({} if none)."""
    try:
        contexts, current = config.list_kube_config_contexts(config_file=kubeconfig)  # type: ignore[no-untyped-call]
    except (ConfigException, OSError, TypeError):
        return {}
    chosen = current
    if context is not None:
        chosen = next((c for c in contexts if c.get("name") == context), None) or current
    return dict((chosen or {}).get("context") or {})


def config_namespace(kubeconfig: str | None, context: str | None) -> str:
    """The namespace of the kubeconfig's (current or named) context, or `default`."""
    namespace = _context_entry(kubeconfig, context).get("namespace")
    return str(namespace) if namespace else "default"


def config_user(kubeconfig: str | None, context: str | None) -> str | None:
    """The user entry of the kubeconfig's (current or named) context, by name, as
    kubectl shows it: a local name, not what the apiserver authenticates."""
    user = _context_entry(kubeconfig, context).get("user")
    return str(user) if user else None


def server_message(exc: ApiException) -> str:
    """What the API server said (its Status message), else the HTTP reason."""
    message = ""
    try:
        message = str(json.loads(exc.body or "{}").get("message") or "")
    except (ValueError, AttributeError):
        message = ""
    return message or str(exc.reason or exc)


def api_error(exc: ApiException, what: str, namespace: str | None) -> UserError:
    """An API error as kubectl would say it, with an exit code of its kind."""
    where = f" in namespace {namespace!r}" if namespace else ""
    if exc.status == 404:
        return UserError(f"{what} not found{where}", EXIT_NOT_FOUND)
    message = server_message(exc)
    if exc.status in (401, 403):
        return UserError(f"forbidden: {message}", EXIT_FORBIDDEN)
    if exc.status == 409:
        return UserError(f"{what} already exists{where}: {message}")
    return UserError(f"{what}: {message}")


def apply_error(exc: ApiException, what: str, body: dict[str, Any]) -> UserError:
    """A refused server-side apply in one line: a conflict says how to take the fields
    over, an object too big to store says its size and the limit it passed."""
    message = one_line(server_message(exc))
    if exc.status == 409:
        return UserError(
            f"{what}: {message}; rerun with --force-conflicts to take these fields over"
        )
    if exc.status == 413 or "request is too large" in message:
        size = len(json.dumps(body, separators=(",", ":")))
        return UserError(
            f"{what} is {size / MIB:.2f} MiB of JSON, more than the API server stores in "
            f"one object (etcd's request limit, {ETCD_REQUEST_LIMIT / MIB:.1f} MiB by "
            "default): split it into smaller DAGs or move what its tasks repeat into "
            f"`defaults` (see docs/scale.md); the API server said: {message}"
        )
    if exc.status == 404:
        # An apply creates what is missing: a 404 is about the namespace, not the DAG.
        return UserError(f"{what}: {message}", EXIT_NOT_FOUND)
    return api_error(exc, what, None)


class Cluster:
    """One cluster connection for one command."""

    def __init__(self, target: Target) -> None:
        self.target = target
        try:
            self.api = config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=target.kubeconfig, context=target.context
            )
        except (ConfigException, OSError, TypeError) as exc:
            raise UserError(
                f"cannot load a kubeconfig ({one_line(str(exc))}); set KUBECONFIG or "
                "pass --kubeconfig",
                EXIT_UNREACHABLE,
            ) from None
        self.namespace = target.namespace or config_namespace(target.kubeconfig, target.context)
        self._versions = VersionSpecs()
        self._noted: set[sliced_runs.RunKey] = set()
        self.warn: Callable[[str], None] = _warn

    @cached_property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api)

    @cached_property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    @property
    def server(self) -> str:
        return str(self.api.configuration.host)

    def _call(
        self,
        what: str,
        namespace: str | None,
        call: Any,
        *args: Any,
        _raw_errors: bool = False,
        **kw: Any,
    ) -> Any:
        """`call`, its API errors as one line (or as they are with `_raw_errors`, for a
        caller whose errors mean something else) and a lost connection as unreachable."""
        try:
            return call(*args, **kw)
        except ApiException as exc:
            if _raw_errors:
                raise
            raise api_error(exc, what, namespace) from None
        except HTTPError as exc:
            raise UserError(
                f"cannot reach the cluster at {self.server}: {one_line(str(exc))}",
                EXIT_UNREACHABLE,
            ) from None

    # Custom resources (plural: dags, dagruns, backfills).

    def get(self, plural: str, name: str, *, with_spec: bool = True) -> dict[str, Any]:
        """The object; a DagRun whole (`whole_runs`) unless `with_spec` is False (the
        object as stored)."""
        what = f'{_SINGULAR[plural]} "{name}"'
        found: dict[str, Any] = self._call(
            what,
            self.namespace,
            self.custom.get_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            plural,
            name,
        )
        return self.whole_runs([found])[0] if plural == "dagruns" and with_spec else found

    def whole_runs(self, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Runs as shown: with their DAG version's spec, and a big run's task instances
        read back from its slices (one LIST for all of them, `requests.sliced_runs`)."""
        listed, reason = self._slices_of(runs)
        return self._shown(self.with_specs(runs), listed, reason)

    def _shown(
        self, runs: list[dict[str, Any]], listed: list[dict[str, Any]], reason: str | None
    ) -> list[dict[str, Any]]:
        return [self.shown(whole, reason) for whole in sliced_runs.wholes(runs, listed)]

    def shown(self, whole: sliced_runs.Whole, reason: str | None) -> dict[str, Any]:
        """The run to show, after saying once per command (a watch shows a run many
        times) which of its task instances could not be read, and why."""
        note = sliced_runs.missing_note(whole, reason)
        key = sliced_runs.run_key(whole.run)
        if note is not None and key not in self._noted:
            self._noted.add(key)
            self.warn(note)
        return whole.run

    def _slices_of(self, runs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
        """The slices of the sliced runs among `runs`, in one LIST (across namespaces
        with `-A`), and why none could be read (a reader refused them, or a cluster
        whose CRDs predate them): the runs are then shown without those."""
        selector = sliced_runs.selector(runs)
        if selector is None:
            return [], None
        try:
            listed = self.listing(sliced_runs.PLURAL, selector, _raw_errors=True)
            return listed.get("items") or [], None
        except ApiException as exc:
            if exc.status in (403, 404):
                return [], one_line(server_message(exc))
            raise api_error(exc, sliced_runs.PLURAL, self.namespace) from None

    def with_specs(self, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Runs with their DAG version's spec (`requests.dag_versions`)."""
        for key in self._versions.missing(runs):
            self._versions.add(key, self._version_body(*key))
        return [self._versions.given(run) for run in runs]

    def _version_body(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            found = self.core.read_namespaced_config_map(name, namespace)
        except ApiException as exc:
            if exc.status in (403, 404):  # shown as a run whose DAG is unknown
                return None
            raise api_error(exc, f'configmap "{name}"', namespace) from None
        return config_map_body(found)

    def list(
        self, plural: str, label_selector: str | None = None, *, whole: bool = True
    ) -> list[dict[str, Any]]:
        """Objects of one kind in the namespace, or in all with `-A`; runs whole unless
        `whole` is False (as stored: for their names, say)."""
        items = self.listing(plural, label_selector).get("items") or []
        return self.whole_runs(items) if plural == "dagruns" and whole else items

    def listing(
        self, plural: str, label_selector: str | None, _raw_errors: bool = False
    ) -> dict[str, Any]:
        """A LIST as the API server answers it (its items and resourceVersion)."""
        kw: dict[str, Any] = {"_raw_errors": _raw_errors}
        if label_selector:
            kw["label_selector"] = label_selector
        if self.target.all_namespaces:
            listed = self._call(
                plural,
                None,
                self.custom.list_cluster_custom_object,
                GROUP,
                VERSION,
                plural,
                **kw,
            )
        else:
            listed = self._call(
                plural,
                self.namespace,
                self.custom.list_namespaced_custom_object,
                GROUP,
                VERSION,
                self.namespace,
                plural,
                **kw,
            )
        return dict(listed)

    def create(self, plural: str, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("metadata", {}).get("name") or body.get("metadata", {}).get(
            "generateName", ""
        )
        created: dict[str, Any] = self._call(
            f'{_SINGULAR[plural]} "{name}"',
            self.namespace,
            self.custom.create_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            plural,
            body,
        )
        return created

    def patch(self, plural: str, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        """A JSON merge patch (what `kubectl patch --type=merge` sends)."""
        patched: dict[str, Any] = self._call(
            f'{_SINGULAR[plural]} "{name}"',
            self.namespace,
            self.custom.patch_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            plural,
            name,
            patch,
            _content_type="application/merge-patch+json",
        )
        return patched

    def apply(
        self, plural: str, body: dict[str, Any], field_manager: str, force: bool = False
    ) -> None:
        """A server-side apply (`kubectl apply --server-side`): the object is sent once,
        with no last-applied annotation, so its size is bounded only by what the API
        server stores (see `apply_error`). Nothing is returned: the generated client
        reads no body from a 201 (an apply that created the object)."""
        meta = body.get("metadata") or {}
        name, namespace = str(meta.get("name", "")), meta.get("namespace") or self.namespace
        try:
            self._call(
                "",
                namespace,
                self.custom.patch_namespaced_custom_object,
                GROUP,
                VERSION,
                namespace,
                plural,
                name,
                body,
                field_manager=field_manager,
                force=force,
                _content_type="application/apply-patch+yaml",
                _raw_errors=True,
            )
        except ApiException as exc:
            raise apply_error(exc, f'{_SINGULAR[plural]} "{name}"', body) from None

    def delete(self, plural: str, name: str) -> None:
        self._call(
            f'{_SINGULAR[plural]} "{name}"',
            self.namespace,
            self.custom.delete_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            plural,
            name,
        )

    def watch_one(self, plural: str, name: str, timeout: int) -> Iterator[dict[str, Any]]:
        """The object now and each change to it, for up to `timeout` seconds per watch;
        a run whole (`cli.run_watch`: a big run's slices are watched with it)."""
        if plural == "dagruns":
            yield from watch_run(self, name, timeout)
            return
        stream = self.watch_stream(plural, timeout, field_selector=f"metadata.name={name}")
        try:
            for event in stream:
                if event["type"] == "DELETED":
                    raise UserError(f'{_SINGULAR[plural]} "{name}" was deleted', EXIT_NOT_FOUND)
                yield event["object"]
        except (ApiException, HTTPError) as exc:
            raise self.failure(exc, f'{_SINGULAR[plural]} "{name}"') from None

    def watch_stream(self, plural: str, timeout: int, **selection: Any) -> Iterator[Any]:
        """The watch events of one kind in the namespace (selectors, resource_version)."""
        return self.watching(plural, timeout, **selection).events

    def watching(self, plural: str, timeout: int, **selection: Any) -> Watching:
        """A watch as `watch_stream`'s, with the means to stop it from another thread
        (`cli.run_watch` reads its watches in threads)."""
        watcher = watch.Watch()  # type: ignore[no-untyped-call]
        events: Iterator[Any] = watcher.stream(  # type: ignore[no-untyped-call]
            self.custom.list_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            plural,
            timeout_seconds=timeout,
            **selection,
        )
        return Watching(events, watcher.stop)

    def failure(self, exc: Exception, what: str) -> UserError:
        """A failed call as the one line the CLI says (API errors, a lost connection)."""
        if isinstance(exc, ApiException):
            return api_error(exc, what, self.namespace)
        return UserError(
            f"cannot reach the cluster at {self.server}: {one_line(str(exc))}", EXIT_UNREACHABLE
        )

    # Pods, logs and ConfigMaps.

    def binary_data(self, config_map: str) -> dict[str, str] | None:
        """A ConfigMap's binaryData (base64 values), e.g. a big XCom's."""
        found = self._call(
            f'configmap "{config_map}"',
            self.namespace,
            self.core.read_namespaced_config_map,
            config_map,
            self.namespace,
        )
        data: dict[str, str] | None = found.binary_data
        return data

    def pod_log(self, pod: str, *, follow: bool = False) -> Iterator[str]:
        """A pod's log, line by line (`kubectl logs [-f]`)."""
        try:
            response: Any = self.core.read_namespaced_pod_log(
                pod, self.namespace, follow=follow, _preload_content=False
            )
            for raw in (
                response.stream(amt=None, decode_content=True) if follow else [response.data]
            ):
                yield raw.decode("utf-8", errors="replace")
        except ApiException as exc:
            raise api_error(exc, f'pod "{pod}"', self.namespace) from None
        except HTTPError as exc:
            raise UserError(
                f"cannot reach the cluster at {self.server}: {one_line(str(exc))}",
                EXIT_UNREACHABLE,
            ) from None


def _warn(line: str) -> None:
    sys.stderr.write(f"warning: {line}\n")


def usage(message: str) -> UserError:
    return UserError(message, EXIT_USAGE)
