"""config.toml read once into frozen, typed settings (one module a section); secrets from env."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.config.backup import BackupSettings, read_backup
from bot.config.brand import BotSettings, read_bot
from bot.config.console import ConsoleSettings, read_console
from bot.config.knowledge_base import KnowledgeBaseSettings, read_knowledge_base
from bot.config.orders import OrdersSettings, read_orders
from bot.config.outbox import OutboxSettings, read_outbox
from bot.config.platforms import PlatformSettings, read_platforms
from bot.config.privacy import PrivacySettings, read_privacy
from bot.config.reader import TableReader
from bot.config.rewards import RewardsSettings, read_rewards
from bot.config.server import ServerSettings, read_server
from bot.config.staff import HandoffSettings, StaffSettings, read_handoff, read_staff
from bot.config.store import StoreSettings, read_store, url_problem
from bot.config.web import WebSettings, read_web
from bot.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Config:
    """Every setting, read once from config.toml."""

    bot: BotSettings = field(default_factory=BotSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    knowledge_base: KnowledgeBaseSettings = field(default_factory=KnowledgeBaseSettings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    platforms: Mapping[str, PlatformSettings] = field(default_factory=dict)
    orders: OrdersSettings = field(default_factory=OrdersSettings)
    rewards: RewardsSettings = field(default_factory=RewardsSettings)
    staff: StaffSettings = field(default_factory=StaffSettings)
    handoff: HandoffSettings = field(default_factory=HandoffSettings)
    web: WebSettings = field(default_factory=WebSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    base_dir: Path = field(default_factory=Path.cwd)
    # Every secret value read from the environment: the logs mask them wherever they appear.
    secrets: tuple[str, ...] = ()

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.base_dir / candidate


def parse_config(
    data: Mapping[str, Any], env: Mapping[str, str] | None = None, base_dir: Path | None = None
) -> Config:
    """Build a Config from parsed TOML; raise ConfigError listing every problem."""
    env = os.environ if env is None else env
    problems: list[str] = []
    root = TableReader("config", data, problems, env)

    def section(name: str) -> TableReader:
        reader = root.subtable(name)
        reader.name = name
        return reader

    # One line per section; a new section adds its reader here.
    names = [
        "bot", "server", "store", "knowledge_base", "outbox", "platforms", "orders", "rewards",
        "staff", "handoff", "web", "console", "backup", "privacy",
    ]
    readers = {name: section(name) for name in names}
    bot = read_bot(readers["bot"])
    server = read_server(readers["server"])
    store = read_store(readers["store"])
    knowledge_base = read_knowledge_base(readers["knowledge_base"])
    outbox = read_outbox(readers["outbox"])
    platforms = read_platforms(readers["platforms"])
    orders = read_orders(readers["orders"])
    rewards = read_rewards(readers["rewards"])
    staff = read_staff(readers["staff"])
    handoff = read_handoff(readers["handoff"])
    web = read_web(readers["web"])
    console = read_console(readers["console"])
    backup = read_backup(readers["backup"])
    privacy = read_privacy(readers["privacy"])
    for name, reader in readers.items():
        if name != "platforms":
            reader.finish()
    root.finish()

    # Environment overrides let several instances share one config file.
    if env.get("BRANDBOT_DB"):
        store = replace(store, path=env["BRANDBOT_DB"])
    if env.get("BRANDBOT_STORE_URL"):
        url = env["BRANDBOT_STORE_URL"]
        problem = url_problem(url)
        if problem is None:
            store = replace(store, url=url)
        else:
            problems.append(f"BRANDBOT_STORE_URL: {problem}")
    if env.get("BRANDBOT_PORT"):
        try:
            server = replace(server, port=int(env["BRANDBOT_PORT"]))
        except ValueError:
            problems.append(f"BRANDBOT_PORT: must be an integer, got {env['BRANDBOT_PORT']!r}")
    if problems:
        raise ConfigError(problems)
    return Config(
        bot=bot,
        server=server,
        store=store,
        knowledge_base=knowledge_base,
        outbox=outbox,
        platforms=platforms,
        orders=orders,
        rewards=rewards,
        staff=staff,
        handoff=handoff,
        web=web,
        console=console,
        backup=backup,
        privacy=privacy,
        base_dir=base_dir or Path.cwd(),
        secrets=tuple(dict.fromkeys(root.secrets)),
    )


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Read config.toml once; raise ConfigError with every problem found."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{file}: no such file"]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"{file}: not valid TOML ({error})"]) from None
    return parse_config(data, env, base_dir=file.resolve().parent)
