"""`kairflow operator`: run the operator (flags override KAIRFLOW_* env settings)."""

from __future__ import annotations

from typing import Annotated

import typer

from kairflow.api.types import parse_duration
from kairflow.cli.errors import UserError
from kairflow.controller.settings import OperatorSettings, parse_pools


def operator(
    namespace: Annotated[
        list[str] | None,
        typer.Option("--namespace", "-n", help="Watch this namespace (repeatable)."),
    ] = None,
    all_namespaces: Annotated[
        bool, typer.Option("--all-namespaces", "-A", help="Watch every namespace (default).")
    ] = False,
    standby: Annotated[
        bool, typer.Option("--standby", help="Wait while another replica is active.")
    ] = False,
    parallelism: Annotated[int | None, typer.Option(help="Task instances at once.")] = None,
    pools: Annotated[str | None, typer.Option(help='Pool slots, e.g. "db=2,api=5".')] = None,
    default_image: Annotated[str | None, typer.Option(help="Image for tasks naming none.")] = None,
    startup_timeout: Annotated[
        str | None, typer.Option(help="Fail pods Pending longer, e.g. 5m.")
    ] = None,
    metrics_port: Annotated[int | None, typer.Option(help="Prometheus port (0: off).")] = None,
    liveness_port: Annotated[int | None, typer.Option(help="Liveness port (0: off).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the Kairflow operator (kopf): schedule DAGs, run DagRuns, write status."""
    # Imported here so that other commands start without loading kopf.
    from kairflow.controller.main import run_operator  # noqa: PLC0415

    if namespace and all_namespaces:
        raise UserError("use either --namespace or --all-namespaces")
    try:
        settings = OperatorSettings.from_env(
            namespaces=tuple(namespace) if namespace else None,
            standby=standby or None,
            parallelism=parallelism,
            pools=parse_pools(pools) if pools else None,
            default_image=default_image,
            startup_timeout=parse_duration(startup_timeout) if startup_timeout else None,
            metrics_port=metrics_port,
            liveness_port=liveness_port,
        )
    except ValueError as exc:
        raise UserError(str(exc)) from None
    run_operator(settings, verbose=verbose)
