"""`kairflow dags apply FILE...`: create or update DAGs from Python DAG files (or YAML
manifests) with a server-side apply.

Server-side, because client-side apply (`kubectl apply` without `--server-side`) keeps a
copy of the whole manifest in the `last-applied-configuration` annotation, and
annotations are limited to 256 KiB: a DAG of a few thousand tasks no longer fits. A
server-side apply sends the manifest once and records only which fields each manager
owns (`spec.tasks` is one atomic field), so a DAG is limited only by the size the API
server stores (1.5 MiB by default, about 14,000 small tasks; docs/scale.md).
"""

from __future__ import annotations

from typing import Annotated

import typer

from kairflow.cli.errors import UserError
from kairflow.cli.options import Context, Kubeconfig, Namespace, connect
from kairflow.cli.render import DagFiles, dag_manifests

FIELD_MANAGER = "kairflow"


def dags_apply(
    files: DagFiles,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
    field_manager: Annotated[
        str,
        typer.Option(
            "--field-manager",
            help="Who owns the applied fields (`kubectl apply --server-side` uses kubectl).",
        ),
    ] = FIELD_MANAGER,
    force_conflicts: Annotated[
        bool,
        typer.Option(
            "--force-conflicts",
            help="Take over fields another manager set (e.g. a `kubectl edit`).",
        ),
    ] = False,
) -> None:
    """Create or update the DAGs of Python DAG files (or YAML manifests), as
    `kubectl apply --server-side` would: fit for DAGs of any size the cluster stores."""
    manifests = dag_manifests(files)
    for manifest in manifests:
        own = manifest.get("metadata", {}).get("namespace")
        if namespace and own and own != namespace:
            # As kubectl: a manifest's own namespace is never silently overridden.
            raise UserError(
                f'dag "{manifest["metadata"].get("name")}" is in namespace {own!r}, '
                f"not {namespace!r}: pass --namespace={own}"
            )
    cluster = connect(namespace, context, kubeconfig)
    for manifest in manifests:
        cluster.apply("dags", manifest, field_manager, force_conflicts)
        typer.echo(f"dag.kairflow.io/{manifest['metadata'].get('name')} serverside-applied")
