"""The trigger form generated from typed params (Airflow's Param), in a real browser
on the local cluster: a number above its maximum is refused next to the field, before
anything is sent; an enum is a select showing Airflow's values_display labels; the
description is the field's hint; the run created carries the conf the form built."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.stack import apply
from tests.e2e.ui.harness import Ui
from tests.integration.kube import Kube

pytestmark = pytest.mark.e2e


def typed_dag(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": name},
        "spec": {
            "paused": True,
            "params": {
                "rows": {"default": 3, "type": "integer", "minimum": 1, "maximum": 100,
                         "description": "Rows to load"},
                "env": {"default": "dev", "enum": ["dev", "prod"],
                        "values_display": {"prod": "Production"}},
            },
            "tasks": [{"name": "load", "bash": "echo {{ params.rows }} {{ params.env }}"}],
        },
    }  # fmt: skip


def test_a_typed_param_is_checked_in_the_form_as_the_server_checks_it(
    ui: Ui, kube: Kube, stack: str
) -> None:
    apply(kube, stack, typed_dag("typed"))
    page = ui.open_dag("typed", "grid")
    page.locator(".dag-header").get_by_role("button", name=re.compile("Trigger")).click()
    dialog = page.get_by_role("dialog")
    rows = dialog.get_by_label("rows")
    expect(rows).to_have_value("3")
    expect(rows).to_have_attribute("max", "100")
    expect(dialog.get_by_text("Rows to load")).to_be_visible()
    expect(dialog.get_by_text("(integer, 1 to 100)")).to_be_visible()

    rows.fill("500")
    problem = "conf 'rows' must be <= 100, not 500 (param rows: maximum 100)"
    expect(dialog.get_by_role("alert")).to_have_text(problem)
    dialog.get_by_role("button", name="Trigger", exact=True).click()
    expect(dialog).to_be_visible()
    assert kube.kubectl("get", "dagruns", "-n", stack, "-o", "name").stdout.split() == []

    rows.fill("50")
    env = dialog.get_by_label("env")
    expect(env.locator("option")).to_have_text(["dev", "Production"])
    env.select_option(label="Production")
    expect(dialog.get_by_role("alert")).to_have_count(0)
    dialog.get_by_role("button", name="Trigger", exact=True).click()
    expect(dialog).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/grid\?run="))
    run = re.sub(r"^.*[?&]run=([^&]+).*$", r"\1", page.url)
    assert kube.get(stack, "dagruns", run)["spec"]["conf"] == {"rows": 50, "env": "prod"}
