"""The `[server]` settings: where the HTTP server listens, how much it reads, how it logs."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network

from bot.config.reader import TableReader

LOG_FORMATS = ("text", "json")


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """The HTTP server."""

    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 64 * 1024
    max_webhook_bytes: int = 4 * 1024 * 1024
    max_text_chars: int = 4000
    # Reverse proxies whose X-Forwarded-For names the real client (empty: trust no header).
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    log_format: str = "text"  # or "json": one JSON object a line, for a log collector
    access_log: bool = True  # one line per HTTP request (method, path, status, time)
    # GET /metrics asks for `Authorization: Bearer <this>` when set (empty: open).
    metrics_token: str = ""


def read_server(table: TableReader) -> ServerSettings:
    """Read `[server]`."""
    defaults = ServerSettings()
    return ServerSettings(
        host=table.string("host", defaults.host),
        port=table.integer("port", defaults.port, minimum=0, maximum=65535),
        max_body_bytes=table.integer(
            "max_body_bytes", defaults.max_body_bytes, minimum=1024
        ),
        max_webhook_bytes=table.integer(
            "max_webhook_bytes", defaults.max_webhook_bytes, minimum=1024
        ),
        max_text_chars=table.integer("max_text_chars", defaults.max_text_chars, minimum=1),
        trusted_proxies=networks(table, "trusted_proxies"),
        log_format=table.string("log_format", defaults.log_format, choices=LOG_FORMATS),
        access_log=table.boolean("access_log", defaults.access_log),
        metrics_token=table.secret("metrics_token_env", required=False),
    )


def networks(table: TableReader, key: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """A list of IP addresses or networks (CIDR), each checked."""
    found = []
    for text in table.strings(key):
        try:
            found.append(ip_network(text.strip(), strict=False))
        except ValueError:
            table.problem(key, f"{text!r} is not an IP address or network like 10.0.0.0/8")
    return tuple(found)
