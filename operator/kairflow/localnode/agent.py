"""The development node agent: a kubelet (and a tiny scheduler) for local processes.

`kairflow localnode` registers a Node, binds the pods meant for it, runs each
container's command and args as a local process group (the image is ignored),
writes real pod status, serves `kubectl logs`, and keeps the Node alive with a
Lease and Ready heartbeats. Nothing here runs on a real cluster's nodes: it is for
clusters without a kubelet, such as `kairflow.localcluster`.

Scheduling convention (there is no kube-scheduler): the agent binds, through the
`pods/binding` subresource, only pods without a nodeName whose schedulerName is
`kairflow-localnode` — or also `default-scheduler` with `--claim-default-scheduler`
(the local dev stack has no scheduler) — optionally only in `--namespace`s; and it
runs every pod already bound to its node. At most `--capacity` pods run at once;
the others stay Pending (PodScheduled=False, Unschedulable) and are bound oldest
first when a slot frees. See `kairflow.localnode.scheduling`.

Pods: init containers in order, then all containers, each a process group in
the pod's private working directory (the container's `workingDir` names a path in
the image and is ignored; see `containers`); env resolved through the API (see
`env`); restartPolicy, activeDeadlineSeconds and graceful deletion honored (see
`pod_worker`); the termination message is what the task wrote to
$KAIRFLOW_XCOM_FILE, at most 4 KiB. Not supported: volumes, probes (a running
container is ready), resource limits, ports, `kubectl exec`/`port-forward`.

Restarts: an agent that starts finds pods bound to its node that ran under an
earlier agent (their processes are gone, or are killed now from the process
records in its workdir) and marks them Failed with reason NodeRestarted; pods that
never started are simply run. Shutdown (SIGTERM/SIGINT or the stop event): running
pods get SIGTERM and at most `shutdown_grace_seconds` (phase Failed, reason
NodeShutdown), the Node is marked NotReady (kept, not deleted: see `node`), the
log server stops.

Permissions it needs (the local cluster's admin token has them): nodes
get/create/patch, nodes/status patch, pods list/watch/delete, pods/binding
create, pods/status patch, configmaps and secrets get, leases in kube-node-lease
get/create/patch, events create.

Python API: `NodeAgent(settings).run(stop_event)` (asyncio; `agent.ready` is a
threading.Event set once the Node is Ready and pods are handled), or
`kairflow.localnode.threaded.start_in_thread(settings)` for tests and
`kairflow dev up`.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from kubernetes_asyncio import client

from kairflow.localnode import pidfiles
from kairflow.localnode.containers import PodDirs
from kairflow.localnode.events import KUBELET, SCHEDULER, EventRecorder
from kairflow.localnode.kapi import load_api
from kairflow.localnode.logs_server import LogFile, LogServer, server_certificate
from kairflow.localnode.node import NodeRegistration
from kairflow.localnode.pod_api import PodApi
from kairflow.localnode.pod_watch import PodInformer
from kairflow.localnode.pod_worker import PodWorker
from kairflow.localnode.process import LocalProcess
from kairflow.localnode.scheduling import (
    Pod,
    claimable,
    has_started,
    is_deleting,
    is_terminal,
    key,
    meta,
    place,
    uid,
    unschedulable_message,
)
from kairflow.localnode.settings import NodeSettings

log = logging.getLogger(__name__)

RESTARTED_MESSAGE = "Pod was running when the node agent restarted; its processes were stopped"


class NodeAgent:
    def __init__(self, settings: NodeSettings) -> None:
        self.settings = settings
        self.workdir = settings.resolved_workdir()
        self.ready = threading.Event()
        """Set once the Node is registered Ready and pods are being handled."""
        self.port: int | None = None
        """The log server's port, once listening."""
        self.workers: dict[str, PodWorker] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._done: set[str] = set()  # uids we failed or finished deleting
        self._unbindable: dict[str, str] = {}  # uid -> resourceVersion a bind failed at
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self._bound: PodInformer | None = None
        self._unbound: PodInformer | None = None
        self._pods: PodApi | None = None
        self._events: EventRecorder | None = None
        self._cleanups: set[asyncio.Task[None]] = set()

    @property
    def bound(self) -> PodInformer:
        """Pods bound to this node (while running)."""
        assert self._bound is not None
        return self._bound

    @property
    def unbound(self) -> PodInformer:
        assert self._unbound is not None
        return self._unbound

    @property
    def pods(self) -> PodApi:
        assert self._pods is not None
        return self._pods

    def stop(self) -> None:
        """Ask a running agent to stop (from any thread)."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    async def run(self, stop: threading.Event | asyncio.Event | None = None) -> None:
        """Until `stop` is set (or `stop()` is called), then shut down cleanly."""
        self._loop = asyncio.get_running_loop()
        self._stop, self._wake = asyncio.Event(), asyncio.Event()
        api = await load_api(self.settings.kubeconfig)
        background: list[asyncio.Task[None]] = []
        if stop is not None:
            background.append(asyncio.create_task(self._watch_stop(stop)))
        server: LogServer | None = None
        node: NodeRegistration | None = None
        try:
            self.workdir.mkdir(parents=True, exist_ok=True)
            hosts = ["localhost", "127.0.0.1", self.settings.node_name]
            cert = await asyncio.to_thread(server_certificate, self.workdir / "tls", hosts)
            server = LogServer(self._find_log, cert, self.settings.port)
            self.port = await server.start()
            registration = NodeRegistration(api, self.settings, self.port)
            await registration.register()
            node = registration
            self._pods = PodApi(api, self.settings.request_timeout)
            self._events = EventRecorder(api, self.settings.node_name)
            name = self.settings.node_name
            self._bound = PodInformer(api, f"spec.nodeName={name}", self._on_bound)
            self._unbound = PodInformer(
                api,
                "spec.nodeName=,status.phase!=Succeeded,status.phase!=Failed",
                lambda kind, pod: self._wake_up(),
            )
            background += [
                asyncio.create_task(self.bound.run()),
                asyncio.create_task(self.unbound.run()),
                asyncio.create_task(self._heartbeats(node)),
            ]
            if not await self._until_synced():
                return
            await self._recover()
            self.ready.set()
            log.info("node %s ready (capacity %d)", name, self.settings.capacity)
            await self._reconcile_loop(api)
        finally:
            self.ready.clear()
            await self._shutdown(background, node, server)
            await api.close()

    async def _watch_stop(self, stop: threading.Event | asyncio.Event) -> None:
        assert self._stop is not None
        if isinstance(stop, asyncio.Event):
            await stop.wait()
        else:
            while not stop.is_set():
                await asyncio.sleep(0.1)
        self._stop.set()

    def _wake_up(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _until_synced(self) -> bool:
        """Both pod lists read; False if stopped first."""
        assert self._stop is not None
        synced: asyncio.Future[Any] = asyncio.gather(
            self.bound.synced.wait(), self.unbound.synced.wait()
        )
        stopped: asyncio.Future[Any] = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait([synced, stopped], return_when=asyncio.FIRST_COMPLETED)
        done = synced.done()
        synced.cancel()
        stopped.cancel()
        return done

    async def _recover(self) -> None:
        """Kill process groups an earlier agent left behind, remove directories of
        pods that are gone. Pods of ours that ran are failed by `_reconcile`."""
        pods_dir = self.workdir / "pods"
        killed = await asyncio.to_thread(pidfiles.kill_all_recorded, pods_dir)
        if killed:
            log.warning("killed %d process group(s) left by an earlier agent", killed)
        known = {self._dirs(pod).root for pod in self.bound.pods.values()}
        if pods_dir.is_dir():
            for path in pods_dir.iterdir():
                if path not in known:
                    await asyncio.to_thread(shutil.rmtree, path, True)

    def _dirs(self, pod: Pod) -> PodDirs:
        return PodDirs.of(self.workdir, meta(pod)["namespace"], meta(pod)["name"], uid(pod))

    def _on_bound(self, kind: str, pod: Pod) -> None:
        pod_uid = uid(pod)
        worker = self.workers.get(pod_uid)
        if kind == "DELETED":
            self._done.discard(pod_uid)
            if worker is not None:
                worker.vanish()
            cleanup = asyncio.create_task(self._forget(pod, worker))
            self._cleanups.add(cleanup)
            cleanup.add_done_callback(self._cleanups.discard)
        elif worker is not None:
            worker.update(pod)
        self._wake_up()

    async def _forget(self, pod: Pod, worker: PodWorker | None) -> None:
        """The pod object is gone: once its processes are (its worker keeps its slot
        until then), forget it and remove its directory."""
        pod_uid = uid(pod)
        task = self._tasks.get(pod_uid)
        if task is not None:
            await asyncio.wait([task])
        if self.workers.get(pod_uid) is worker:
            self.workers.pop(pod_uid, None)
            self._tasks.pop(pod_uid, None)
        await asyncio.to_thread(shutil.rmtree, self._dirs(pod).root, True)

    async def _heartbeats(self, node: NodeRegistration) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_interval)
            try:
                await node.heartbeat()
            except Exception as exc:
                log.warning("node %s: heartbeat failed: %r", node.name, exc)

    async def _reconcile_loop(self, api: client.ApiClient) -> None:
        assert self._stop is not None and self._wake is not None
        while not self._stop.is_set():
            self._wake.clear()
            try:
                await self._reconcile(api)
            except Exception:
                log.exception("node %s: reconcile failed", self.settings.node_name)
            wake = asyncio.ensure_future(self._wake.wait())
            stop = asyncio.ensure_future(self._stop.wait())
            await asyncio.wait([wake, stop], timeout=5.0, return_when=asyncio.FIRST_COMPLETED)
            wake.cancel()
            stop.cancel()

    async def _reconcile(self, api: client.ApiClient) -> None:
        assert self._stop is not None
        assigned = []
        for pod_uid, pod in list(self.bound.pods.items()):
            worker = self.workers.get(pod_uid)
            if pod_uid in self._done:
                continue
            if worker is not None:
                if worker.finished and is_deleting(pod):
                    await self._once(pod, self.pods.delete_now(pod))
            elif not is_terminal(pod) and has_started(pod):
                log.warning("pod %s ran under an earlier agent: failing it", key(pod))
                await self._once(pod, self._fail_restarted(pod))
            elif is_deleting(pod):
                await self._once(pod, self.pods.delete_now(pod))
            elif not is_terminal(pod):
                assigned.append(pod)
        schedulers = self.settings.schedulers()
        unbound = {uid(pod): pod for pod in self.unbound.pods.values()}
        self._unbindable = {k: v for k, v in self._unbindable.items() if k in unbound}
        candidates = [
            pod
            for pod_uid, pod in unbound.items()
            if claimable(pod, schedulers, self.settings.namespaces)
            and pod_uid not in self.workers
            and self._unbindable.get(pod_uid) != meta(pod).get("resourceVersion")
        ]
        active = sum(1 for worker in self.workers.values() if worker.active)
        placement = place(assigned, candidates, self.settings.capacity - active)
        for pod in placement.start:
            self._start_worker(api, pod)
        for pod in placement.bind:
            if self._stop.is_set():
                return
            if await self.pods.bind(pod, self.settings.node_name):
                log.info("pod %s bound to %s", key(pod), self.settings.node_name)
                self._event(
                    pod,
                    "Scheduled",
                    f"Successfully assigned {key(pod)} to {self.settings.node_name}",
                    component=SCHEDULER,
                )
                spec = {**(pod.get("spec") or {}), "nodeName": self.settings.node_name}
                self._start_worker(api, {**pod, "spec": spec})
            else:
                self._unbindable[uid(pod)] = str(meta(pod).get("resourceVersion"))
        message = unschedulable_message(self.settings.capacity)
        for pod in placement.waiting:
            if await self.pods.unschedulable(pod, message):
                self._event(pod, "FailedScheduling", message, warning=True, component=SCHEDULER)

    def _event(
        self, pod: Pod, reason: str, message: str, warning: bool = False, component: str = KUBELET
    ) -> None:
        if self._events is not None:
            self._events.pod(pod, reason, message, warning, component=component)

    async def _once(self, pod: Pod, action: Coroutine[Any, Any, None]) -> None:
        """A final action on a pod (fail it, finish its deletion): done once, unless
        it fails, then the next pass tries again."""
        self._done.add(uid(pod))
        try:
            await action
        except Exception as exc:
            self._done.discard(uid(pod))
            log.warning("pod %s: %r (will retry)", key(pod), exc)

    async def _fail_restarted(self, pod: Pod) -> None:
        if not await self.pods.fail(pod, "NodeRestarted", RESTARTED_MESSAGE):
            raise RuntimeError("status not written")
        self._event(pod, "NodeRestarted", RESTARTED_MESSAGE, warning=True)
        if is_deleting(pod):
            await self.pods.delete_now(pod)

    def _start_worker(self, api: client.ApiClient, pod: Pod) -> None:
        worker = PodWorker(api, self.settings, pod, self._wake_up, self._events)
        self.workers[uid(pod)] = worker
        self._tasks[uid(pod)] = asyncio.create_task(worker.run(), name=f"pod {key(pod)}")

    def _find_log(
        self, namespace: str, name: str, container: str, previous: bool
    ) -> LogFile | None:
        candidates = [w.pod for w in self.workers.values()]
        candidates += list(self._bound.pods.values()) if self._bound is not None else []
        for pod in candidates:
            if meta(pod).get("namespace") != namespace or meta(pod).get("name") != name:
                continue
            spec = pod.get("spec") or {}
            names = {
                c.get("name")
                for c in [*spec.get("containers", []), *spec.get("initContainers", [])]
            }
            if container not in names:
                return None
            path = self._dirs(pod).log(container, previous)
            worker = self.workers.get(uid(pod))
            runs = [c for c in worker.containers if c.name == container] if worker else []
            process = runs[0].process if runs and not previous else None
            return LogFile(path, _still_running(process))
        return None

    async def _shutdown(
        self,
        background: list[asyncio.Task[None]],
        node: NodeRegistration | None,
        server: LogServer | None,
    ) -> None:
        for worker in self.workers.values():
            worker.shutdown()
        tasks = [task for task in self._tasks.values() if not task.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=self.settings.shutdown_grace_seconds + 15)
        others = [*background, *self._cleanups]
        for task in [*tasks, *others]:
            task.cancel()
        await asyncio.gather(*tasks, *others, return_exceptions=True)
        if node is not None:
            try:
                await node.mark_not_ready()
            except Exception as exc:
                log.warning("node %s: not marked NotReady: %r", node.name, exc)
        if self._events is not None:
            await self._events.drain()
        if server is not None:
            await server.stop()


def _still_running(process: LocalProcess | None) -> Callable[[], bool]:
    return lambda: process is not None and process.result is None


__all__ = ["NodeAgent", "NodeSettings"]
