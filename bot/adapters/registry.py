"""The adapter registry: platform name -> how to build its adapter from its settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.adapters.telegram import adapter as telegram
from bot.adapters.wechat import adapter as wechat
from bot.adapters.whatsapp import adapter as whatsapp
from bot.core.adapter import Adapter
from bot.core.ports import AdapterPorts


@dataclass(frozen=True, slots=True)
class AdapterSpec:
    """A registry entry: how to build a platform's adapter from its `[platforms.<name>]`."""

    name: str
    build: Callable[[Any, AdapterPorts], Adapter]


# One line per platform (its settings reader is in bot/config/platforms.py); the server
# mounts /webhooks/<name> for each enabled one.
ADAPTERS: dict[str, AdapterSpec] = {
    "whatsapp": AdapterSpec("whatsapp", whatsapp.build),
    "telegram": AdapterSpec("telegram", telegram.build),
    "wechat": AdapterSpec("wechat", wechat.build),
}
