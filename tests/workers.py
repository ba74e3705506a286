"""How the suite runs on pytest-xdist workers (`-n auto --dist loadgroup`, pyproject.toml).

Each worker is a pytest session of its own: it starts its own control plane and operator
(tests/cluster.py) on free ports, so workers share nothing but the machine's CPUs. The
tests spend much of their time waiting on the cluster, so there is one worker more than
CPUs; PYTEST_XDIST_AUTO_NUM_WORKERS sets another count, and -n0 runs the tests in the
pytest process itself (for --pdb, -s, or a single test).

What the machine has only one of runs in one worker, one test after another: the real
node (kubelet + containerd, its record in /run/kairflow, its state in
/var/lib/kairflow/node, the pod bridge). Its tests are the ones under REAL_NODE_TESTS:
the real-node package (its `real` stack) and the tests marked `real_node` (the demo
starts one). They form one work unit, which goes to a worker first, being the largest.

The scheduler groups them by node id itself rather than through `xdist_group` marks:
pytest-xdist 3.8 carries those as a suffix it writes into the node id, which pytest 9.2
no longer reads back (pytest-dev/pytest-xdist#1386), so the marks are silently ignored.
"""

from __future__ import annotations

import os

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadGroupScheduling
from xdist.workermanage import WorkerController

REAL_NODE_GROUP = "real-node"
REAL_NODE_TESTS = ("tests/e2e/realnode/", "tests/e2e/test_dev_demo.py::")
# Tests that take minutes (`--durations` lists them): they start first, after the real
# node's group, so that none of them is left to end the run alone.
LONG_TESTS = (
    "tests/integration/test_big_run.py::",
    "tests/integration/test_big_xcom.py::",
    "tests/e2e/test_airflow_examples.py::test_a_converted_example_reaches_airflows_outcome[example_sla_dag]",
    "tests/integration/test_shards.py::",
    "tests/e2e/ui/test_parity_views.py::test_the_xcom_pane_shows_a_big_xcom",
    "tests/integration/test_big_dags.py::",
)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    if os.environ.get("KAIRFLOW_TEST_CLUSTER") == "existing":
        return 0  # one cluster: one operator (tests/cluster.py), so one process
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])
    return len(os.sched_getaffinity(0)) + 1


class MachineGroups(LoadGroupScheduling):
    """`--dist loadgroup`, with the real node's tests in one group."""

    _long_first = False

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.startswith(REAL_NODE_TESTS):
            return REAL_NODE_GROUP
        return super()._split_scope(nodeid)

    def _assign_work_unit(self, node: WorkerController) -> None:
        if not self._long_first:  # the queue is whole now: the longest work to its front
            first = [s for s in self.workqueue if s == REAL_NODE_GROUP or s.startswith(LONG_TESTS)]
            for scope in reversed(first):
                self.workqueue.move_to_end(scope, last=False)
            self._long_first = True
        super()._assign_work_unit(node)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> MachineGroups | None:
    return MachineGroups(config, log) if config.getvalue("dist") == "loadgroup" else None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test that starts the real node outside REAL_NODE_TESTS would meet the group's
    node on the machine: it fails at once rather than wait or collide."""
    uses_node = "real" in getattr(item, "fixturenames", ()) or item.get_closest_marker("real_node")
    if uses_node and not item.nodeid.startswith(REAL_NODE_TESTS):
        pytest.fail(f"{item.nodeid} starts the real node: add it to REAL_NODE_TESTS in {__file__}")
