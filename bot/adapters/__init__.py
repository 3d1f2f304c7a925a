"""The adapter registry: platform name -> how to read its settings and build it."""

from __future__ import annotations

from bot.adapters import telegram, wechat, whatsapp
from bot.adapters.base import AdapterSpec

# One line per platform; server.py mounts /webhooks/<name> for each enabled one.
ADAPTERS: dict[str, AdapterSpec] = {}
ADAPTERS["whatsapp"] = AdapterSpec("whatsapp", whatsapp.read_settings, whatsapp.build)
ADAPTERS["telegram"] = AdapterSpec("telegram", telegram.read_settings, telegram.build)
ADAPTERS["wechat"] = AdapterSpec("wechat", wechat.read_settings, wechat.build)
