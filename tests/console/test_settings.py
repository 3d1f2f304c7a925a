"""`[console]` read once: its defaults, the secret from the environment, clear problems."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import build_bot
from bot.config import Config, parse_config
from bot.core.errors import ConfigError
from bot.server.app import create_app
from bot.staff.signin import base_url, keys_of


def test_defaults_work_with_no_setup(make_config: Callable[..., Config]) -> None:
    config = make_config()
    assert config.console.enabled and config.console.secret == ""
    assert (config.console.link_minutes, config.console.session_hours) == (10, 12)
    assert base_url(config) == "http://127.0.0.1:8080"


def test_the_generated_secret_is_kept_in_the_store(make_config: Callable[..., Config]) -> None:
    config = make_config()
    first = build_bot(config)
    now = first.clock.now()
    secret = keys_of(first.store, config, now).secret
    first.store.close()
    again = build_bot(config)  # another process on the same store file
    assert keys_of(again.store, config, now).secret == secret and len(secret) >= 32
    again.store.close()


def test_a_secret_from_the_environment_wins(make_config: Callable[..., Config]) -> None:
    secret = "s" * 40
    config = make_config(env={"BRANDBOT_CONSOLE_SECRET": secret})
    bot = build_bot(config)
    assert keys_of(bot.store, config, bot.clock.now()).secret == secret.encode()
    bot.store.close()


@pytest.mark.parametrize(("table", "env", "problem"), [
    ({}, {"BRANDBOT_CONSOLE_SECRET": "short"}, "console.secret_env: BRANDBOT_CONSOLE_SECRET"
     " must hold at least 32 bytes"),
    ({"public_url": "bot.example.com"}, {}, "console.public_url: must start with http://"),
    ({"link_minutes": 0}, {}, "console.link_minutes: must be at least 1"),
    ({"sessions": 3}, {}, "console.sessions: unknown setting"),
])
def test_a_bad_value_is_one_clear_line(table: dict[str, Any], env: dict[str, str],
                                       problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"console": table}, env)
    [found] = raised.value.problems
    assert found.startswith(problem), found


async def test_a_console_switched_off_is_not_served(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    config = make_config(console={"enabled": False})
    client: TestClient[Any, Any] = await aiohttp_client(create_app(build_bot(config)))
    assert (await client.get("/console/inbox", allow_redirects=False)).status == 404
    assert (await client.get("/")).status == 200
