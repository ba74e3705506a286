"""Approve or reject an approval task from the page: one merge patch of the run's
`spec.approvals[<task instance>]`, as `kairflow tasks approve|reject` writes it.

The answer names "ui" as who decided: the server does not know the user's name (a
signed-in bearer token does not tell it, on the apiserver versions Kairflow runs
on); the apiserver's audit log has who sent the patch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from kairflow.api.approval import ApprovalOutcome
from kairflow.requests.approval import answer_for, approval_patch
from kairflow.ui.bodies import json_object, text
from kairflow.ui.routes_read import api_of, json
from kairflow.ui.run_specs import run_with_spec

BY = "ui"


def _handler(outcome: ApprovalOutcome) -> Callable[[web.Request], Any]:
    async def handle(request: web.Request) -> web.Response:
        ns, name, key = (request.match_info[k] for k in ("ns", "name", "key"))
        comment = text(await json_object(request), "comment")
        api = api_of(request)
        run = await run_with_spec(api, ns, name)
        answer = answer_for(run, key, outcome, comment, BY)
        await api.patch("dagruns", ns, name, approval_patch(key, answer))
        return json({"run": name, "key": key, **answer.model_dump(by_alias=True, mode="json")})

    return handle


def add(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/ns/{ns}/dagruns/{name}/tis/{key}/approve", _handler(ApprovalOutcome.APPROVE))
    r.add_post("/api/ns/{ns}/dagruns/{name}/tis/{key}/reject", _handler(ApprovalOutcome.REJECT))
