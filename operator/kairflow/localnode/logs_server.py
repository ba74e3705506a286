"""Container logs over HTTPS, the way a kubelet serves them to `kubectl logs`.

The apiserver proxies `kubectl logs [-f] POD` to the node's InternalIP and
`daemonEndpoints.kubeletEndpoint.Port` as

    GET /containerLogs/<namespace>/<pod>/<container>?follow=true&tailLines=N&limitBytes=N

Supported: follow (stream until the container's process ends), tailLines,
limitBytes, previous (the instance before the last restart; 404 when there is
none). timestamps, sinceSeconds and sinceTime are accepted and ignored: output
goes straight to a file, so there are no per-line times. The certificate is
self-signed by a CA of the agent's own (the apiserver does not verify it unless
started with --kubelet-certificate-authority). Unlike a kubelet, the server does
not authenticate its clients: it listens on loopback only, for a development
machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from aiohttp import web

from kairflow.localcluster.pki import KeyPair, make_ca, make_serving_cert

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class LogFile:
    path: Path
    running: Callable[[], bool]
    """True while a process may still append to `path`."""


LogFinder = Callable[[str, str, str, bool], LogFile | None]
"""(namespace, pod, container, previous) -> the log, or None (404)."""


def server_certificate(directory: Path, hosts: list[str]) -> KeyPair:
    """The serving certificate in `directory`, made (with a CA) on first use."""
    pair = KeyPair(directory / "kubelet.crt", directory / "kubelet.key")
    if pair.cert.exists() and pair.key.exists():
        return pair
    directory.mkdir(parents=True, exist_ok=True)
    ca = make_ca(directory, common_name="kairflow-localnode-ca")
    return make_serving_cert(ca, directory, "kubelet", hosts, common_name=hosts[-1])


def tail_offset(path: Path, lines: int) -> int:
    """Where the last `lines` lines of the file start (a final partial line counts)."""
    with path.open("rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        if lines <= 0:
            return end
        position, found = end, 0
        while position > 0:
            step = min(_CHUNK, position)
            position -= step
            handle.seek(position)
            block = handle.read(step)
            for index in range(len(block) - 1, -1, -1):
                if block[index] != 0x0A or position + index == end - 1:
                    continue  # the file's final newline ends the last line
                found += 1
                if found == lines:
                    return position + index + 1
        return 0


class LogServer:
    def __init__(
        self,
        find: LogFinder,
        cert: KeyPair,
        port: int = 0,
        host: str = "127.0.0.1",
        poll_interval: float = 0.1,
    ) -> None:
        self.find = find
        self.cert = cert
        self.port = port
        self.host = host
        self.poll_interval = poll_interval
        self.stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Listen; the port actually bound (useful with port 0)."""
        app = web.Application()
        app.router.add_get("/containerLogs/{namespace}/{pod}/{container}", self._logs)
        app.router.add_get("/healthz", self._healthz)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert.cert), str(self.cert.key))
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=context)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        log.info("container logs served on https://%s:%d", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        self.stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _logs(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        query = request.query
        try:
            tail = int(query["tailLines"]) if "tailLines" in query else None
            limit = int(query["limitBytes"]) if "limitBytes" in query else None
        except ValueError:
            raise web.HTTPBadRequest(text="tailLines and limitBytes must be integers") from None
        previous = query.get("previous") in ("true", "1")
        source = self.find(info["namespace"], info["pod"], info["container"], previous)
        if source is None or not source.path.exists():
            which = "previous terminated container" if previous else "container"
            raise web.HTTPNotFound(
                text=f'{which} "{info["container"]}" in pod "{info["pod"]}" is not available'
            )
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        follow = query.get("follow") in ("true", "1")
        with contextlib.suppress(ConnectionResetError), source.path.open("rb") as handle:
            if tail is not None:
                handle.seek(await asyncio.to_thread(tail_offset, source.path, tail))
            await self._stream(handle, response, source, follow, limit)
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
        return response

    async def _stream(
        self,
        handle: BinaryIO,
        response: web.StreamResponse,
        source: LogFile,
        follow: bool,
        limit: int | None,
    ) -> None:
        read = handle.read
        sent = 0
        while limit is None or sent < limit:
            alive = follow and source.running() and not self.stopping.is_set()
            size = _CHUNK if limit is None else min(_CHUNK, limit - sent)
            data: bytes = read(size)
            if data:
                await response.write(data)
                sent += len(data)
                continue
            if not alive:
                return
            await asyncio.sleep(self.poll_interval)
