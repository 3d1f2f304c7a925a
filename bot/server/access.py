"""Every HTTP request: a request id (a trusted proxy's X-Request-Id, else a new one) that its
log lines and sends carry, one access-log line, and its count and time in the metrics."""

from __future__ import annotations

import logging
import time

from aiohttp import web

from bot.core.tracing import acceptable_request_id, bound_request_id, new_request_id
from bot.server.http import Handler, client_address, is_trusted
from bot.server.running import BOT_KEY

log = logging.getLogger("brandbot.access")

HEADER = "X-Request-Id"
# Asked every few seconds by probes and scrapers: logged at DEBUG, not to drown the rest.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
REQUEST_ID = web.RequestKey("request_id", str)  # where the id is kept on the request


def route_of(request: web.Request) -> str:
    """The route a request took, as a template ("/api/chat/uploads/{upload_id}").

    Ids in paths are never logged or counted one by one (a photo's id is what lets it be
    fetched); an enabled platform's name is, since there are few.
    """
    resource = request.match_info.route.resource
    if resource is None:
        return "unmatched"
    route = resource.canonical
    platform = request.match_info.get("platform")
    if platform is not None and platform in request.app[BOT_KEY].webhooks:
        route = route.replace("{platform}", platform)
    return route


@web.middleware
async def traced(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bind the request id while the request is handled; count and log it when answered."""
    bot = request.app[BOT_KEY]
    trusted = bot.config.server.trusted_proxies
    given = request.headers.get(HEADER) if is_trusted(request.remote or "", trusted) else None
    request_id = acceptable_request_id(given) or new_request_id()
    request[REQUEST_ID] = request_id
    started = time.perf_counter()
    status = 500
    with bound_request_id(request_id):
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as error:
            status = error.status
            raise
        finally:
            seconds = time.perf_counter() - started
            route = route_of(request)
            bot.metrics.request(request.method, route, status, seconds)
            if bot.config.server.access_log:
                path = request.path if "{" not in route else route
                address = client_address(request, trusted)
                log.log(
                    logging.DEBUG if route in QUIET_ROUTES else logging.INFO,
                    "%s %s %d %.1f ms %s", request.method, path, status, seconds * 1000,
                    address,
                    extra={"method": request.method, "path": path, "status": status,
                           "ms": round(seconds * 1000, 1), "remote": address},
                )


async def add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """Tell the caller (and a proxy's logs) the id this request is logged under."""
    request_id = request.get(REQUEST_ID)
    if request_id:
        response.headers[HEADER] = request_id
