"""Removing everything a real node leaves on its machine.

Stopping the kubelet and containerd does not stop the pods: each container runs
under a containerd shim in its own session, inside kubepods cgroups, with mounts
(rootfs overlays, volumes, network namespaces) and a bridge and NAT rules on the
host. A node stopped in the middle of its work (or killed with the test run that
started it) must still leave a machine on which the next node starts clean, so the
sweep works from what the machine shows, not from what the node remembers:

1. kill the node's processes: shims started for its containerd, and every process
   in its kubepods cgroups;
2. unmount everything under the node's directory, deepest first;
3. remove the kubepods cgroups (deepest first), the pod bridge and the CNI NAT rules;
4. remove the directory.

Each step tolerates what a previous, interrupted sweep already removed.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from kairflow.localcluster.node_config import BRIDGE, CNI_NETWORK

CGROUP_ROOT = Path("/sys/fs/cgroup")
KUBEPODS = "kubepods"


def _processes() -> Iterator[tuple[int, str]]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            yield int(entry.name), cmdline


def _kill(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def kubepods_cgroups() -> list[Path]:
    """Every kubepods cgroup directory of every hierarchy, deepest first."""
    found: list[Path] = []
    if not CGROUP_ROOT.is_dir():
        return found
    for hierarchy in CGROUP_ROOT.iterdir():
        top = hierarchy / KUBEPODS
        if top.is_dir():
            found += [Path(d) for d, _, _ in os.walk(top)]
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def _pids_in(cgroups: list[Path]) -> set[int]:
    pids: set[int] = set()
    for cgroup in cgroups:
        try:
            text = (cgroup / "cgroup.procs").read_text()
        except OSError:
            continue
        pids.update(int(line) for line in text.split())
    return pids


def kill_node_processes(root: Path) -> None:
    """SIGKILL the shims of the node's containerd and every process in a pod cgroup."""
    marker = str(root)
    for _ in range(20):
        doomed = {pid for pid, cmd in _processes() if "containerd-shim" in cmd and marker in cmd}
        doomed |= _pids_in(kubepods_cgroups())
        doomed.discard(os.getpid())
        if not doomed:
            return
        _kill(doomed)
        time.sleep(0.1)


def mounts_under(root: Path) -> list[str]:
    """Mount points at or under `root`, deepest first (from /proc/self/mountinfo)."""
    prefix = str(root.resolve())
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        # Field 5 is the mount point; octal escapes stand for spaces and the like.
        point = line.split()[4].encode().decode("unicode_escape")
        if point == prefix or point.startswith(prefix + "/"):
            points.append(point)
    return sorted(set(points), key=len, reverse=True)


def unmount_under(root: Path) -> None:
    for point in mounts_under(root):
        subprocess.run(["umount", "--lazy", point], check=False, stderr=subprocess.DEVNULL)


def remove_cgroups() -> None:
    for cgroup in kubepods_cgroups():
        for _ in range(20):
            try:
                cgroup.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)  # a killed process leaves its cgroup a moment later


def cni_nat_rules(rules: str) -> tuple[list[list[str]], set[str]]:
    """From `iptables -t nat -S`: the POSTROUTING rules the bridge plugin added for our
    network, as `-D` arguments, and the chains they jump to (to flush and remove)."""
    doomed, chains = [], set()
    for line in rules.splitlines():
        words = shlex.split(line)
        if words[:2] != ["-A", "POSTROUTING"] or "--comment" not in words:
            continue
        if not words[words.index("--comment") + 1].startswith(f'name: "{CNI_NETWORK}"'):
            continue
        doomed.append(["-D", *words[1:]])
        if "-j" in words:
            chains.add(words[words.index("-j") + 1])
    return doomed, chains


def kube_chains(rules: str) -> list[str]:
    """The KUBE-* chains an `iptables -S` listing declares."""
    return [line.split()[1] for line in rules.splitlines() if line.startswith("-N KUBE-")]


def remove_network() -> None:
    listing = subprocess.run(
        ["iptables", "-t", "nat", "-S"], capture_output=True, text=True, check=False
    ).stdout
    doomed, chains = cni_nat_rules(listing)
    for rule in doomed:
        subprocess.run(["iptables", "-t", "nat", *rule], check=False)
    for chain in chains:
        subprocess.run(["iptables", "-t", "nat", "-F", chain], check=False)
        subprocess.run(["iptables", "-t", "nat", "-X", chain], check=False)
    # What `kube-proxy --cleanup` leaves: empty KUBE-* chains (the canary, the marks).
    for table in ("nat", "filter", "mangle"):
        listing = subprocess.run(
            ["iptables", "-t", table, "-S"], capture_output=True, text=True, check=False
        ).stdout
        for chain in kube_chains(listing):
            subprocess.run(["iptables", "-t", table, "-F", chain], check=False)
            subprocess.run(
                ["iptables", "-t", table, "-X", chain], check=False, stderr=subprocess.DEVNULL
            )
    subprocess.run(["ip", "link", "delete", BRIDGE], check=False, stderr=subprocess.DEVNULL)


def sweep(root: Path) -> None:
    """Leave the machine as it was before the node at `root` started."""
    kill_node_processes(root)
    if root.exists():
        unmount_under(root)
    remove_cgroups()
    remove_network()
    shutil.rmtree(root, ignore_errors=True)
