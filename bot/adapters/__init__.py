"""The adapter registry: platform name -> how to read its settings and build it."""

from __future__ import annotations

from bot.adapters import wechat
from bot.adapters.base import AdapterSpec

# One line per platform; server.py mounts /webhooks/<name> for each enabled one.
ADAPTERS: dict[str, AdapterSpec] = {}
ADAPTERS["wechat"] = AdapterSpec("wechat", wechat.read_settings, wechat.build)
