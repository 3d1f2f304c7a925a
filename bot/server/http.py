"""What every endpoint shares: bodies read within a limit, JSON answers, requests as plain data."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

from aiohttp import web

from bot.core.adapter import InboundRequest, WebhookAnswer
from bot.core.errors import BodyTooLarge, StoreBusy
from bot.server.running import BOT_KEY

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
RETRY_AFTER_SECONDS = 1
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Proxies = Sequence[IPv4Network | IPv6Network]


async def read_body(request: web.Request, limit: int) -> bytes:
    """The raw body, refusing more than `limit` bytes without reading them all."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(f"body over {limit} bytes")
    # read(n) returns what has arrived so far (at most n): keep reading until the end.
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def json_response(data: Any, status: int = 200) -> web.Response:
    """JSON with characters as they are (Chinese stays readable)."""
    return web.json_response(
        data, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False)
    )


def json_error(status: int, message: str) -> web.Response:
    """A clear JSON error for API callers."""
    return web.json_response({"error": message}, status=status)


def inbound(request: web.Request, body: bytes) -> InboundRequest:
    """An aiohttp request as the plain data adapters read (header names lower-cased)."""
    trusted = request.app[BOT_KEY].config.server.trusted_proxies
    return InboundRequest(
        method=request.method,
        path=request.path,
        query=dict(request.query),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=body,
        remote=client_address(request, trusted),
    )


def client_address(request: web.Request, trusted: Proxies = ()) -> str:
    """Who sent the request: the peer, or behind trusted proxies the first hop they report.

    X-Forwarded-For is read from the right: each trusted proxy appends who it heard from, so
    the first address that is not one of ours is the client (anything left of it is claimed
    by the client itself and proves nothing).
    """
    peer = request.remote or ""
    if not trusted or not is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not is_trusted(hop, trusted):
            return hop
    return peer


def is_trusted(address: str, trusted: Proxies) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in trusted)


def to_response(answer: WebhookAnswer) -> web.Response:
    """An adapter's answer as an aiohttp response."""
    body = answer.body.encode("utf-8") if isinstance(answer.body, str) else answer.body
    content_type, _, charset = answer.content_type.partition("; charset=")
    return web.Response(
        status=answer.status, body=body, content_type=content_type, charset=charset or "utf-8"
    )


@web.middleware
async def never_5xx(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The last line of defence: a request that trips a bug gets 400, and the bug is logged.

    Every input is meant to be answered on purpose (a 4xx saying what is wrong, or 503 when
    the store is busy); this catches what a parser or endpoint did not foresee.
    """
    store = request.app[BOT_KEY].store
    try:
        try:
            response = await handler(request)
        except web.HTTPException:
            await store.committed()  # a redirect after a write acknowledges it too
            raise
        # Group commit: no answer leaves before what it acknowledges, or read, is durable.
        await store.committed()
        return response
    except web.HTTPException:
        raise
    except StoreBusy:
        # Nothing was stored for this request (or it is safe to send again): come back soon.
        log.warning("%s %s: store busy, answered 503", request.method, request.path)
        response = json_error(503, "busy, try again in a moment")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return json_error(400, "the request could not be processed")
