"""A node agent on a thread of its own, for tests and `kairflow dev up`.

with start_in_thread(NodeSettings(node_name="dev", claim_default_scheduler=True)):
    ...  # pods run; leaving the block stops the agent cleanly
"""

from __future__ import annotations

import asyncio
import logging
import threading
from types import TracebackType

from kairflow.localnode.agent import NodeAgent
from kairflow.localnode.settings import NodeSettings

log = logging.getLogger(__name__)


class AgentThread:
    """A NodeAgent on a thread of its own (tests, `kairflow dev up`)."""

    def __init__(self, settings: NodeSettings) -> None:
        self.agent = NodeAgent(settings)
        self.stop_event = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(
            target=self._main, name=f"localnode-{settings.node_name}", daemon=True
        )

    def _main(self) -> None:
        try:
            asyncio.run(self.agent.run(self.stop_event))
        except BaseException as exc:
            self.error = exc
            log.exception("node agent %s failed", self.agent.settings.node_name)

    def start(self, timeout: float = 60.0) -> AgentThread:
        self.thread.start()
        while not self.agent.ready.wait(0.05):
            if not self.thread.is_alive() or timeout <= 0:
                self.stop()
                raise RuntimeError(f"node agent did not become ready: {self.error!r}")
            timeout -= 0.05
        return self

    def stop(self, timeout: float = 60.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)

    def __enter__(self) -> AgentThread:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_in_thread(settings: NodeSettings, timeout: float = 60.0) -> AgentThread:
    """Start an agent on a daemon thread and wait until its Node is Ready."""
    return AgentThread(settings).start(timeout)
