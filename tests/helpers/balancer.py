"""A load balancer in front of several `brandbot serve` instances, as an operator runs them.

Requests go round-robin; an instance that refuses the connection (it is dead) is passed over
for the next one, as nginx's `proxy_next_upstream error` does. A request that reached an
instance and got no answer (it died mid-request) is answered 502, and the platform posts it
again, as platforms do.
"""

from __future__ import annotations

import itertools
from collections import Counter

import aiohttp
from aiohttp import web

# What the balancer does not pass on: its own hop's headers.
HOP_HEADERS = frozenset({"host", "content-length", "content-encoding", "transfer-encoding",
                         "connection"})


class Balancer:
    """Round-robin HTTP forwarding to `upstreams` on 127.0.0.1, port 0."""

    def __init__(self, upstreams: list[str]) -> None:
        self.upstreams = upstreams
        self._turn = itertools.count()
        self.url = ""
        self.served: Counter[str] = Counter()  # answers by upstream
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Listen on a free loopback port; `url` says where."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {name: value for name, value in request.headers.items()
                   if name.lower() not in HOP_HEADERS}
        first = next(self._turn)
        for offset in range(len(self.upstreams)):
            upstream = self.upstreams[(first + offset) % len(self.upstreams)]
            try:
                async with self._session.request(
                    request.method, upstream + request.path_qs, data=body, headers=headers,
                ) as answer:
                    content = await answer.read()
                    self.served[upstream] += 1
                    kept = {name: value for name, value in answer.headers.items()
                            if name.lower() not in HOP_HEADERS}
                    return web.Response(status=answer.status, body=content, headers=kept)
            except aiohttp.ClientConnectorError:
                continue  # nobody listens there: the next instance takes it
            except (aiohttp.ClientError, TimeoutError):
                return web.Response(status=502, text="the instance did not answer")
        return web.Response(status=502, text="no instance is up")
