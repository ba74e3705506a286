"""Sending a clear or mark request: preview, confirm, one merge patch per run, report.

What `kubectl patch dagrun RUN --type=merge -p '{"spec":{"clear":{...}}}'` did by
hand; the patch is `kairflow.requests.interventions.merge_patch`'s.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence

from rich.console import Console

from kairflow.api.dagrun import ClearRequest, MarkRequest
from kairflow.cli.confirm import confirm
from kairflow.cli.kube import Cluster
from kairflow.cli.output import console
from kairflow.cli.task_selection import preview
from kairflow.requests.interventions import merge_patch
from kairflow.requests.task_selection import Selected, count_words


def send(
    cluster: Cluster,
    selected: Sequence[Selected],
    request: ClearRequest | MarkRequest,
    *,
    verb: str,
    done: str,
    yes: bool,
    output: str,
) -> None:
    """Show `selected`, ask, then write `request` to each run it touches.

    `verb` starts the question (`Clear`, `Mark success`) and `done` is printed per
    run (`cleared`, `marked success`); with
    `-o json` the preview and the question go to stderr and stdout gets one JSON
    document of what was requested.
    """
    machine = output == "json"
    people: Console = Console(stderr=True, highlight=False) if machine else console()
    people.print(preview(selected))
    confirm(f"{verb} {count_words(selected)}?", yes=yes, err=machine)
    patch = merge_patch(request)
    per_run = Counter(item.run for item in selected)
    for run, count in per_run.items():
        cluster.patch("dagruns", run, patch)
        if not machine:
            instances = "task instance" if count == 1 else "task instances"
            people.print(f"dagrun.kairflow.io/{run} {done} ({count} {instances})")
    if machine:
        document = {
            "requestId": request.id,
            **patch["spec"],
            "runs": [
                {
                    "name": run,
                    "taskInstances": [
                        {"key": s.key, "state": s.state, "tryNumber": s.try_number}
                        for s in selected
                        if s.run == run
                    ],
                }
                for run in per_run
            ],
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")


def nothing_to_do(message: str, output: str) -> None:
    """Say there is nothing to change (exit 0, no write); JSON: an empty document."""
    if output == "json":
        sys.stdout.write(json.dumps({"requestId": None, "runs": []}) + "\n")
        Console(stderr=True, highlight=False).print(message)
    else:
        console().print(message)
