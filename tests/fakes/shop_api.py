"""A fake shop order API on 127.0.0.1: answers, 500s or stalls as told, and records requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class ShopApi:
    """Orders by number; `mode` is 'ok', 'error' (HTTP 500) or 'stall' (never answers)."""

    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    mode: str = "ok"
    requests: list[tuple[str, Mapping[str, str]]] = field(default_factory=list)
    base_url: str = ""
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    async def order(self, request: web.Request) -> web.Response:
        """GET /orders/{number}."""
        self.requests.append((request.match_info["number"], dict(request.headers)))
        if self.mode == "stall":
            await self._release.wait()
            return web.json_response({"error": "too late"}, status=504)
        if self.mode == "error":
            return web.json_response({"error": "database on fire"}, status=500)
        found = self.orders.get(request.match_info["number"])
        if found is None:
            return web.json_response({"error": "no such order"}, status=404)
        return web.json_response({"order": found})


@asynccontextmanager
async def serve_shop(orders: dict[str, dict[str, Any]]) -> AsyncIterator[ShopApi]:
    """Run the fake shop on a free loopback port for the duration of the block."""
    shop = ShopApi(orders=orders)
    app = web.Application()
    app.router.add_get("/orders/{number}", shop.order)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    shop.base_url = f"http://127.0.0.1:{port}"
    try:
        yield shop
    finally:
        shop._release.set()
        await runner.cleanup()
