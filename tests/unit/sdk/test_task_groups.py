"""TaskGroup and @task_group: Airflow's ids and group-level dependencies."""

from __future__ import annotations

from kairflow.api.dag import DAGSpec
from kairflow.core.graph import build_graph
from kairflow.core.task_settings import effective_task
from kairflow.sdk import DAG, EmptyOperator, TaskGroup, task_group
from tests.unit.sdk.helpers import depends_on, manifest_of, tasks_of


def test_a_groups_leaves_feed_the_task_after_the_group_and_its_roots_follow_the_one_before() -> (
    None
):
    with DAG("g", schedule=None) as dag:
        start = EmptyOperator(task_id="start")
        with TaskGroup("work") as work:
            a = EmptyOperator(task_id="a")
            b = EmptyOperator(task_id="b")
            c = EmptyOperator(task_id="c")
            a >> [b, c]
        end = EmptyOperator(task_id="end")
        start >> work >> end
    assert depends_on(dag) == {
        "start": [],
        "work.a": ["start"],
        "work.b": ["work.a"],
        "work.c": ["work.a"],
        "end": ["work.b", "work.c"],
    }


def test_nested_groups_prefix_their_ids_and_one_group_feeds_the_next() -> None:
    with DAG("g", schedule=None) as dag:
        with TaskGroup("outer") as outer, TaskGroup("inner"):
            EmptyOperator(task_id="t")
        with TaskGroup("after") as after:
            EmptyOperator(task_id="u")
        outer >> after
    assert depends_on(dag) == {"outer.inner.t": [], "after.u": ["outer.inner.t"]}
    spec = manifest_of(dag)["spec"]
    assert spec["groups"] == [
        {"name": "outer"},
        {"name": "inner", "group": "outer"},
        {"name": "after"},
    ]
    assert {t["name"]: t.get("group") for t in spec["tasks"]} == {
        "outer.inner.t": "outer.inner",
        "after.u": "after",
    }


def test_prefix_group_id_false_keeps_the_task_ids_as_written() -> None:
    with (
        DAG("g", schedule=None) as dag,
        TaskGroup("outer"),
        TaskGroup("plain", prefix_group_id=False),
    ):
        EmptyOperator(task_id="t")
    assert list(tasks_of(dag)) == ["t"]


def test_group_default_args_apply_to_its_tasks_inner_groups_winning() -> None:
    with (
        DAG("g", schedule=None, default_args={"retries": 1}) as dag,
        TaskGroup("outer", default_args={"retries": 2, "pool": "p"}),
    ):
        EmptyOperator(task_id="a")
        with TaskGroup("inner", default_args={"retries": 3}):
            EmptyOperator(task_id="b", pool="q")
    manifest = manifest_of(dag)["spec"]
    assert manifest["defaults"] == {"retries": 1}
    assert [g.get("defaults") for g in manifest["groups"]] == [
        {"retries": 2, "pool": "p"},
        {"retries": 3},
    ]
    spec = DAGSpec.model_validate(manifest)
    settings = {t.name: (e.retries, e.pool) for t in spec.tasks for e in [effective_task(spec, t)]}
    assert settings == {"outer.a": (2, "p"), "outer.inner.b": (3, "q")}


def test_a_task_group_function_called_twice_gets_suffixed_group_ids() -> None:
    @task_group
    def load() -> None:
        EmptyOperator(task_id="write")

    with DAG("g", schedule=None) as dag:
        first = load()
        second = load()
        first >> second
    assert depends_on(dag) == {"load.write": [], "load__1.write": ["load.write"]}


def test_the_manifest_carries_a_groups_tooltip_and_prefixing_and_leaves_out_empty_groups() -> None:
    with DAG("g", schedule=None) as dag:
        with TaskGroup("plain", prefix_group_id=False, tooltip="no prefix"):
            EmptyOperator(task_id="t")
        with TaskGroup("empty"):
            pass
    assert manifest_of(dag)["spec"]["groups"] == [
        {"name": "plain", "prefixGroupId": False, "tooltip": "no prefix"}
    ]
    assert tasks_of(dag)["t"] == {"name": "t", "group": "plain"}


def test_the_engine_reads_the_same_dependencies_from_the_manifest_as_the_sdk_made() -> None:
    with DAG("g", schedule=None) as dag:
        start = EmptyOperator(task_id="start")
        with TaskGroup("work") as work:
            a = EmptyOperator(task_id="a")
            a >> EmptyOperator(task_id="b")
        start >> work >> EmptyOperator(task_id="end")
    graph = build_graph(DAGSpec.model_validate(manifest_of(dag)["spec"]))
    assert {n: sorted(graph.upstream[n]) for n in graph.order} == depends_on(dag)
    assert graph.groups == {"work": ("work.a", "work.b")}
