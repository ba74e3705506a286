"""`runs get` and `dags show`: tasks as a tree in DAG order, within 80 columns."""

from __future__ import annotations

import pytest

from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import TaskInstanceStatus
from kairflow.cli.views.tree import dag_flow_tree, run_tree
from tests.unit.cli.views.builders import dag_spec, lines_of, render, run, spec, ti

ETL = spec(
    "extract",
    "transform",
    "load",
    "report",
    "notify",
    flow=["extract >> transform >> load >> report", "extract >> notify", "load >> notify"],
)


def first_column(text: str) -> list[str]:
    """The task column of every line under the header (guides kept)."""
    lines = lines_of(text)
    header = next(i for i, line in enumerate(lines) if line.startswith("task "))
    width = (
        lines[header].index("state") if "state" in lines[header] else lines[header].index("kind")
    )
    return [line[:width].rstrip() for line in lines[header + 1 :]]


def task_column(text: str) -> list[str]:
    """The task names of the tree, guides stripped, in the order shown."""
    names = (cell.lstrip("├└│┄╴ ") for cell in first_column(text))
    return [name for name in names if name and not name.startswith(("also after", "[", "2 mapped"))]


@pytest.mark.parametrize(
    ("snapshot", "keys", "order"),
    [
        pytest.param(
            ETL,
            ["notify", "report", "load", "transform", "extract"],
            ["extract", "transform", "load", "report", "notify"],
            id="rows follow the DAG, not the status",
        ),
        pytest.param(
            None,
            ["b", "a", "c"],
            ["b", "a", "c"],
            id="without a snapshot rows follow the status",
        ),
        pytest.param(
            {"tasks": "not a list"},
            ["b", "a"],
            ["b", "a"],
            id="an unreadable snapshot is like none",
        ),
        pytest.param(
            spec("a", "b", flow=["a >> b", "b >> a"]),
            ["b", "a"],
            ["b", "a"],
            id="a snapshot with a cycle is like none",
        ),
        pytest.param(
            spec("a", "b"),
            ["a", "b", "gone"],
            ["a", "b", "gone"],
            id="an instance missing from the snapshot comes last",
        ),
    ],
)
def test_rows_are_in_dag_order(snapshot: dict | None, keys: list[str], order: list[str]) -> None:
    text = render(run_tree(run({k: ti() for k in keys}, snapshot=snapshot)))
    assert task_column(text) == order


def test_a_join_appears_once_under_its_first_upstream_and_names_the_others() -> None:
    text = render(run_tree(run({}, snapshot=ETL)))
    assert [line.split("  · ")[0].rstrip() for line in lines_of(text)[2:8]] == [
        "extract",
        "├╴transform",
        "│ └╴load",
        "│   └╴report",
        "└╴notify",
        "    also after: load",
    ]
    assert text.count("notify") == 1


@pytest.mark.parametrize(
    ("instance", "shown"),
    [
        pytest.param(
            ti("success", try_number=1, max_tries=3),
            "✓ success          1/3",
            id="a success with its try out of max tries",
        ),
        pytest.param(
            ti("failed", try_number=3, max_tries=3),
            "✗ failed           3/3",
            id="a failure after its last try",
        ),
        pytest.param(
            ti("upstream_failed", try_number=0), "↑ upstream_failed", id="upstream failed"
        ),
        pytest.param(
            ti("up_for_retry", try_number=1, max_tries=2),
            "↻ up_for_retry     1/2",
            id="up for retry",
        ),
        pytest.param(
            ti("awaiting", try_number=1), "? awaiting         1", id="a state from a newer operator"
        ),
    ],
)
def test_each_state_has_its_symbol(instance: object, shown: str) -> None:
    text = render(run_tree(run({"a": instance, "b": ti("upstream_failed", try_number=0)})))
    assert lines_of(text)[2].startswith("a     " + shown)


def test_start_and_duration_are_shown_in_utc() -> None:
    instance = ti("success", "2024-03-01T09:00:00.250+01:00", "2024-03-01T08:00:05Z")
    text = render(run_tree(run({"a": instance})))
    assert "08:00:00  4.8s" in text


def test_mapped_instances_hang_under_their_task_with_a_summary() -> None:
    snapshot = spec(
        "make",
        {"name": "fan", "bash": "x", "expand": {"fromTask": "make"}},
        "end",
        flow=["make >> fan >> end"],
    )
    instances = {"make": ti(), "fan[1]": ti("failed"), "fan[0]": ti(), "end": ti("upstream_failed")}
    text = render(run_tree(run(instances, snapshot=snapshot)))
    assert first_column(text) == ["make", "└╴fan [ ]", "  ├╴[0]", "  ├╴[1]", "  └╴end"]
    assert "✗ failed                                 2 mapped: 1 success, 1 fail…" in text


def test_instances_not_created_yet_hang_last_under_their_task_as_a_range_and_a_count() -> None:
    snapshot = spec(
        {"name": "fan", "bash": "x", "expand": {"items": list(range(3000))}},
        "end",
        flow=["fan >> end"],
    )
    rest = TaskInstanceStatus(map_length=3000, map_next=2, message="2,998 of 3,000 not created")
    instances = {"fan": rest, "fan[1]": ti("running"), "fan[0]": ti(), "end": ti("none")}
    text = render(run_tree(run(instances, snapshot=snapshot)))
    assert first_column(text) == ["fan [ ]", "├╴[0]", "├╴[1]", "├╴[2…2999]", "└╴end"]
    assert "3,000 mapped: 2,998 none, 1 succes…" in text  # cut to 80 columns
    assert "2,998 of 3,000 not created" in text


LONG = "a_very_long_task_name_that_goes_on_and_on_and_on_until_it_is_63c"
MESSAGE = "Traceback (most recent call last): " + "x" * 200 + " THE END"


@pytest.mark.parametrize(
    ("wide", "full_message"),
    [
        pytest.param(False, False, id="an 80-column view cuts names and messages with an ellipsis"),
        pytest.param(True, True, id="the wide view shows the whole message, wrapped"),
    ],
)
def test_long_names_and_messages(wide: bool, full_message: bool) -> None:
    instance = ti("failed", "08:00:00", "08:00:01", message=MESSAGE, exit_code=1)
    text = render(run_tree(run({LONG: instance}), wide=wide))
    assert all(len(line) <= 80 for line in text.splitlines())
    assert LONG not in text and "…" in text
    assert ("THE END" in text) == full_message
    assert "exit 1: Traceback" in text


def test_a_long_chain_stops_indenting_and_fits_80_columns() -> None:
    names = [f"task_{i:03d}" for i in range(200)]
    snapshot = spec(*names, flow=[" >> ".join(names)])
    text = render(run_tree(run({n: ti() for n in names}, snapshot=snapshot)))
    assert all(len(line) <= 80 for line in text.splitlines())
    assert task_column(text) == names
    assert "┄" in text


@pytest.mark.parametrize(
    ("the_run", "expected"),
    [
        pytest.param(run(pending=True), "· pending  etl", id="a pending run says so"),
        pytest.param(run({}, snapshot=None), "no task instances yet", id="a run with nothing yet"),
        pytest.param(run({}, snapshot=ETL), "· none", id="a run whose tasks have not started"),
    ],
)
def test_runs_with_little_to_show(the_run: object, expected: str) -> None:
    assert expected in render(run_tree(the_run))


def test_dags_show_tells_each_tasks_kind_and_what_is_special() -> None:
    dag = dag_spec(
        {"name": "pick", "python": "print(1)", "branch": True},
        {"name": "wait", "command": ["sleep", "1"], "sensor": {"mode": "reschedule"}},
        {"name": "fan", "bash": "echo", "expand": {"items": [1, 2]}},
        {"name": "join", "triggerRule": "one_success"},
        flow=["pick >> [wait, fan] >> join"],
    )
    lines = lines_of(render(dag_flow_tree(dag)))
    assert lines[1:] == [
        "pick      python   branch",
        "├╴wait    command  sensor (reschedule)",
        "│ └╴join  empty    trigger: one_success",
        "│     also after: fan",
        "└╴fan     bash     mapped",
    ]


def test_dags_show_names_the_arguments_of_a_task_mapped_over_a_product() -> None:
    product = [{"name": "n", "items": [1]}, {"name": "s", "items": ["x"]}]
    dag = dag_spec({"name": "combos", "bash": "echo", "expand": {"product": product}})
    lines = lines_of(render(dag_flow_tree(dag)))
    assert lines[1:] == ["combos  bash  mapped over the product of n, s"]


def test_dags_show_lists_task_ids_with_their_groups_settings() -> None:
    dag = DAGSpec.model_validate(
        {
            "groups": [
                {"name": "work", "defaults": {"triggerRule": "all_done"}},
                {"name": "plain", "prefixGroupId": False},
            ],
            "tasks": [
                {"name": "start"},
                {"name": "a", "group": "work"},
                {"name": "b", "group": "plain", "triggerRule": "one_success"},
            ],
            "flow": ["start >> work >> plain"],
        }
    )
    lines = lines_of(render(dag_flow_tree(dag)))
    assert lines[1:] == [
        "start     empty",
        "└╴work.a  empty  trigger: all_done",
        "  └╴b     empty  group plain, trigger: one_success",
    ]


def test_dags_show_warns_when_dependencies_are_invalid() -> None:
    dag = dag_spec("a", "b", flow=["a >> b", "b >> a"])
    text = render(dag_flow_tree(dag))
    assert "dependencies are invalid" in text


def test_a_message_that_does_not_fit_beside_goes_under_its_row_within_the_guides() -> None:
    snapshot = spec(
        "make",
        {"name": "fan", "bash": "x", "expand": {"items": [1, 2]}},
        "end",
        flow=["make >> fan >> end"],
    )
    instances = {
        "make": ti("success", "08:00:00", "08:00:01", max_tries=3),
        "fan[0]": ti("up_for_reschedule", "08:00:02", message="waiting for the partition to land"),
        "fan[1]": ti("upstream_failed", try_number=0),
    }
    lines = lines_of(render(run_tree(run(instances, snapshot=snapshot))))
    assert "message" not in lines[1]
    assert lines[4:7] == [
        "  │   2 mapped: 1 up_for_reschedule, 1 upstream_failed",
        "  ├╴[0]    ⟳ up_for_reschedule  1    08:00:02",
        "  │   waiting for the partition to land",
    ]


def test_a_runs_callbacks_are_listed_under_its_tasks() -> None:
    from kairflow.api.callbacks import CallbackKind, CallbackState, CallbackStatus

    the_run = run({"a": ti("failed")}, state="failed")
    the_run.status.callbacks = [
        CallbackStatus(
            task="a",
            kind=CallbackKind.ON_FAILURE,
            name="slack",
            state=CallbackState.SUCCESS,
            pod="etl-a-onfailure-1-abcdefgh",
        ),
        CallbackStatus(
            kind=CallbackKind.ON_FAILURE,
            name="page",
            state=CallbackState.FAILED,
            pod="etl-dag-onfailure-1-hgfedcba",
            message="exit code 2",
        ),
    ]
    lines = lines_of(render(run_tree(the_run, wide=True)))
    at = lines.index("callbacks")
    assert lines[at + 1].split() == [
        "✓",
        "success",
        "a",
        "onFailure",
        "#1",
        "slack",
        "pod",
        "etl-a-onfailure-1-abcdefgh",
    ]
    assert lines[at + 2].split()[:6] == ["✗", "failed", "DAG", "onFailure", "#1", "page"]
    assert lines[at + 2].endswith("exit code 2")
