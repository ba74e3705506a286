"""`kairflow assets emit|list`: record an asset event from outside any DAG (Airflow's
"create asset event" button and REST call), and the Assets with their last event.

An event is recorded as the operator records a task's: appended to the Asset's
status by a read-modify-write under its resourceVersion (a conflict reads again), the
Asset created first when its URI has none. DAGs scheduled on the asset are woken by
the Asset's watch event.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, cast

import typer
from kubernetes.client.exceptions import ApiException

from kairflow.api.asset import AssetEvent, AssetSpec, AssetStatus
from kairflow.api.common import GROUP, VERSION
from kairflow.cli.errors import UserError
from kairflow.cli.kube import Cluster, api_error
from kairflow.cli.options import AllNamespaces, Context, Kubeconfig, ListOutput, Namespace, connect
from kairflow.cli.output import LIST_FORMATS, check_format, console, print_objects, table
from kairflow.core.assets import ATTEMPTS, asset_manifest, asset_name, with_event
from kairflow.core.times import iso

assets_app = typer.Typer(
    name="assets",
    help="Assets (Airflow's datasets): their events schedule the DAGs on them.",
    no_args_is_help=True,
    add_completion=False,
)
PLURAL = "assets"


def _read(cluster: Cluster, name: str) -> dict[str, Any] | None:
    try:
        found = cast(
            dict[str, Any],
            cluster.custom.get_namespaced_custom_object(
                GROUP, VERSION, cluster.namespace, PLURAL, name
            ),
        )
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise api_error(exc, f'asset "{name}"', cluster.namespace) from None
    return found


def _replace_status(cluster: Cluster, body: dict[str, Any]) -> dict[str, Any] | None:
    """The written Asset; None when it changed (409) or went (404) since it was read."""
    name = body["metadata"]["name"]
    try:
        written = cast(
            dict[str, Any],
            cluster.custom.replace_namespaced_custom_object_status(
                GROUP, VERSION, cluster.namespace, PLURAL, name, body
            ),
        )
    except ApiException as exc:
        if exc.status in (404, 409):
            return None
        raise api_error(exc, f'asset "{name}"', cluster.namespace) from None
    return written


def emit_event(cluster: Cluster, uri: str, event: AssetEvent) -> dict[str, Any]:
    """Append `event` to the asset's events (creating the Asset); the Asset written."""
    name = asset_name(uri)
    for _ in range(ATTEMPTS):
        body = _read(cluster, name)
        if body is None:
            try:
                cluster.custom.create_namespaced_custom_object(
                    GROUP, VERSION, cluster.namespace, PLURAL, asset_manifest(uri)
                )
            except ApiException as exc:
                if exc.status != 409:  # made by someone else meanwhile: fine
                    raise api_error(exc, f'asset "{name}"', cluster.namespace) from None
            continue
        if (body.get("spec") or {}).get("uri") != uri:
            raise UserError(f"asset {name!r} holds another URI: {body['spec'].get('uri')!r}")
        recorded = with_event(AssetStatus.model_validate(body.get("status") or {}), event)
        if recorded is None:
            return body
        written = _replace_status(cluster, {**body, "status": recorded.to_wire()})
        if written is not None:
            return written
    raise UserError(f"asset {uri!r} kept changing: the event was not recorded, try again")


def _extra(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UserError(f"--extra: not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise UserError("--extra: a JSON object is needed, like '{\"rows\": 3}'")
    return value


@assets_app.command("emit")
def assets_emit(
    uri: Annotated[str, typer.Argument(help="The asset's URI, e.g. s3://bucket/key.")],
    extra: Annotated[
        str | None, typer.Option("--extra", help="A JSON object stored with the event.")
    ] = None,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Record an asset event (an external producer's update): the DAGs scheduled on
    the asset see it as they see a task's."""
    try:
        AssetSpec(uri=uri)
    except ValueError:
        raise UserError(f"{uri!r} is not an asset URI (no spaces, ( ) & or |)") from None
    event = AssetEvent(
        id=uuid.uuid4().hex[:16], timestamp=iso(datetime.now(UTC)), extra=_extra(extra)
    )
    cluster = connect(namespace, context, kubeconfig)
    written = emit_event(cluster, uri, event)
    count = (written.get("status") or {}).get("eventCount")
    typer.echo(f"asset event {event.id} on {uri} (asset/{asset_name(uri)}, {count} events)")


@assets_app.command("list")
def assets_list(
    namespace: Namespace = None,
    all_namespaces: AllNamespaces = False,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
    output: ListOutput = "table",
) -> None:
    """List Assets: URI, last event time, events recorded, and the last event's source."""
    check_format(output, LIST_FORMATS)
    cluster = connect(namespace, context, kubeconfig, all_namespaces)
    assets = sorted(
        cluster.list(PLURAL),
        key=lambda a: (a["metadata"].get("namespace", ""), (a.get("spec") or {}).get("uri", "")),
    )
    if print_objects(assets, output):
        return
    if not assets:
        where = "any namespace" if all_namespaces else f"namespace {cluster.namespace!r}"
        typer.echo(f"No Assets in {where}: a task's outlets or `assets emit` make them.", err=True)
        return
    columns = ["uri", "last event", "events", "source"]
    if output == "wide":
        columns.append("name")
    rows = table(*(["namespace", *columns] if all_namespaces else columns))
    for asset in assets:
        row = asset_row(asset, output == "wide")
        rows.add_row(*([asset["metadata"].get("namespace", ""), *row] if all_namespaces else row))
    console().print(rows)


def asset_row(asset: dict[str, Any], wide: bool = False) -> list[str]:
    status = asset.get("status") or {}
    events = status.get("events") or []
    last = events[-1] if events else {}
    source = (
        f"{last.get('sourceDagId')}.{last.get('sourceTaskId')}"
        if last.get("sourceDagId")
        else ("external" if last else "")
    )
    count = status.get("eventCount")
    row = [
        str((asset.get("spec") or {}).get("uri", "")),
        str(status.get("lastEventTime") or ""),
        "" if count is None else str(count),
        source,
    ]
    if wide:
        row.append(asset["metadata"]["name"])
    return row
