"""What `kairflow tasks xcom` prints for a task instance: its XCom from the run's
status, a big one from the ConfigMap its reference names, or why there is none."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from typing import Any

import pytest

from kairflow.cli.errors import UserError
from kairflow.cli.task_xcom import xcom_of
from kairflow.core.xcom_frame import STORED_KEY
from kairflow.requests.task_selection import RunTasks

RUN = "etl-1"
BIG = [{"id": i} for i in range(1000)]
RAW = json.dumps(BIG).encode()
REF = {
    "configMap": "etl-1-extract-1-xcom",
    "size": len(RAW),
    "sha256": hashlib.sha256(RAW).hexdigest(),
}
SPEC = {
    "tasks": [
        {"name": "extract", "bash": "true"},
        {"name": "small", "bash": "true"},
        {"name": "part", "bash": "true", "expand": {"items": [1, 2]}},
    ]
}
INSTANCES: dict[str, dict[str, Any]] = {
    "extract": {"state": "success", "tryNumber": 1, "xcomRef": REF},
    "small": {"state": "success", "tryNumber": 1, "xcom": {"rows": 3}},
    "part[0]": {"state": "success", "tryNumber": 1, "mapIndex": 0, "xcom": "p0"},
    "part[1]": {"state": "failed", "tryNumber": 1, "mapIndex": 1},
}


def stored(raw: bytes) -> dict[str, dict[str, str]]:
    return {str(REF["configMap"]): {STORED_KEY: base64.b64encode(gzip.compress(raw)).decode()}}


STORED = stored(RAW)


def shown(instance: str, map_index: int | None = None, config_maps: Any = None) -> Any:
    target = RunTasks.of(
        {
            "metadata": {"name": RUN},
            "spec": {"dagName": "etl"},
            "status": {"dagSpec": SPEC, "taskInstances": INSTANCES},
        }
    )
    found = STORED if config_maps is None else config_maps
    return xcom_of(RUN, target.status, target.graph, instance, map_index, found.get)


@pytest.mark.parametrize(
    ("instance", "map_index", "expected"),
    [
        pytest.param("small", None, {"rows": 3}, id="a small XCom comes from the run's status"),
        pytest.param("extract", None, BIG, id="a big XCom comes from its ConfigMap"),
        pytest.param("part[0]", None, "p0", id="a mapped instance written with its index"),
        pytest.param("part", 0, "p0", id="a mapped instance with --map-index"),
    ],
)  # fmt: skip
def test_the_xcom_of_a_task_instance(instance: str, map_index: int | None, expected: Any) -> None:
    assert shown(instance, map_index) == expected


@pytest.mark.parametrize(
    ("instance", "config_maps", "message"),
    [
        pytest.param("part[1]", None, "task instance part[1] has no XCom: it is failed",
                     id="a failed instance has none"),
        pytest.param("part", None, "task 'part' is mapped", id="a mapped task needs an index"),
        pytest.param("extract", stored(b'"x"'), "does not match its checksum",
                     id="a ConfigMap holding another value"),
        pytest.param("extract", {}, "holds no XCom", id="a ConfigMap without the value"),
    ],
)  # fmt: skip
def test_no_xcom_says_why(instance: str, config_maps: Any, message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        shown(instance, config_maps=config_maps)
