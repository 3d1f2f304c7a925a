"""`brandbot wechat menu set|get|delete`: the official account's custom menu from a TOML file."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import aiohttp

from bot.adapters.wechat.api import AccessTokens
from bot.adapters.wechat.menu import MenuApi, describe, read_menu, titles_of
from bot.cli.common import config_of, with_config
from bot.config import Config
from bot.config.wechat import WeChatSettings
from bot.core.clock import Clock
from bot.core.errors import ConfigError, DataError, OutboundError
from bot.store import Store, open_configured

TIMEOUT = 15.0


def _settings(config: Config) -> WeChatSettings:
    settings = config.platforms.get("wechat")
    if not isinstance(settings, WeChatSettings) or not settings.enabled:
        raise ConfigError(["platforms.wechat: set enabled = true (and app_secret_env) first"])
    return settings


async def _run(config: Config, store: Store, command: str, menu: dict[str, Any] | None) -> int:
    settings = _settings(config)
    clock = Clock()
    # The store's token: the one the running bot uses (fetching another would end it soon).
    tokens = AccessTokens(store.kv, settings.api_base_url, settings.app_id, settings.app_secret,
                          clock.now)
    api = MenuApi(tokens)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session:
        if command == "set":
            assert menu is not None
            await api.create(session, menu)
            print("menu set (WeChat shows it to customers within about 5 minutes):")
        elif command == "get":
            menu = await api.get(session)
            if menu is None:
                print("no menu is set through the API")
                store.platform_menus.remember("wechat", {}, clock.now())
                return 0
        else:
            await api.delete(session)
            store.platform_menus.remember("wechat", {}, clock.now())
            print("menu deleted")
            return 0
    # The bot answers a click with the title it shows, like the button it is.
    store.platform_menus.remember("wechat", dict(titles_of(menu)), clock.now())
    print("\n".join(describe(menu)))
    return 0


def menu_command(args: argparse.Namespace) -> int:
    """Set, show or delete the custom menu."""
    config = config_of(args)
    menu = None
    if args.menu_command == "set":
        try:
            menu = read_menu(Path(args.file).read_text(encoding="utf-8"))
        except OSError as error:
            print(f"{args.file}: {error.strerror}", file=sys.stderr)
            return 2
        except DataError as error:
            print(f"{args.file} has problems:", file=sys.stderr)
            for problem in error.problems:
                print(f"  - {problem}", file=sys.stderr)
            return 2
        if args.dry_run:
            print(json.dumps(menu, ensure_ascii=False, indent=2))
            return 0
    store = open_configured(config.store, config.resolve)
    try:
        return asyncio.run(_run(config, store, args.menu_command, menu))
    except (OutboundError, aiohttp.ClientError, TimeoutError) as error:
        print(f"WeChat: {error or type(error).__name__}", file=sys.stderr)
        return 1
    finally:
        store.close()


def register(commands: Any) -> None:
    """Add `wechat menu set|get|delete`."""
    wechat = commands.add_parser("wechat", help="the WeChat official account's own tools")
    tools = wechat.add_subparsers(dest="wechat_command", required=True)
    menu = tools.add_parser("menu", help="the custom menu (自定义菜单)")
    actions = menu.add_subparsers(dest="menu_command", required=True)
    set_menu = with_config(actions.add_parser("set", help="set the menu from a TOML file"))
    set_menu.add_argument("file", help="menu.toml ([[button]] tables)")
    set_menu.add_argument("--dry-run", action="store_true",
                          help="check the file and print the JSON, without calling WeChat")
    set_menu.set_defaults(func=menu_command)
    get_menu = with_config(actions.add_parser("get", help="show the menu WeChat has"))
    get_menu.set_defaults(func=menu_command)
    delete_menu = with_config(actions.add_parser("delete", help="remove the menu"))
    delete_menu.set_defaults(func=menu_command)
