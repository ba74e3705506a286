"""What a dead control-plane or node process's error shows of its log."""

from __future__ import annotations

from pathlib import Path

from kairflow.localcluster.processes import crash_summary

KUBELET_CRASH = """I1206 06:30:01.000000   100 server.go:416] Version: v1.20.2
E1206 06:30:02.000000   100 kubelet.go:1292] Image garbage collection failed once
F1206 06:30:03.000000   100 kubelet.go:1368] Failed to start ContainerManager cannot enter cgroupv2
goroutine 1 [running]:
k8s.io/kubernetes/vendor/k8s.io/klog/v2.stacks(0x1)
\t/build/vendor/k8s.io/klog/v2/klog.go:1026 +0x8a
goroutine 870 [runnable]:
k8s.io/kubernetes/pkg/kubelet/oom.(*realWatcher).Start.func2()
\t/build/pkg/kubelet/oom/oom_watcher_linux.go:69
"""


def test_a_go_programs_fatal_line_is_shown_not_its_goroutine_dump(tmp_path: Path) -> None:
    log = tmp_path / "kubelet.log"
    log.write_text(KUBELET_CRASH)
    summary = crash_summary(log)
    assert summary.splitlines()[0].startswith("F1206 06:30:03.000000")
    assert "cannot enter cgroupv2" in summary
    assert "goroutine" not in summary and "oom_watcher_linux.go" not in summary


def test_a_panic_is_shown_first(tmp_path: Path) -> None:
    log = tmp_path / "etcd.log"
    log.write_text(
        "starting\npanic: runtime error: invalid memory address\ngoroutine 1 [running]:\n"
    )
    assert crash_summary(log).splitlines()[0] == "panic: runtime error: invalid memory address"


def test_a_missing_log_says_nothing(tmp_path: Path) -> None:
    assert crash_summary(tmp_path / "absent.log") == ""
