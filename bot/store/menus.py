"""The buttons a customer was last offered, so that a bare "2" can press the second one."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.core.clock import iso, parse_iso
from bot.store.kv import KeyValues

MENU_TTL = timedelta(days=1)


class Menus:
    """One live menu per customer (kept in the key-value table, so every process sees it)."""

    def __init__(self, kv: KeyValues) -> None:
        self.kv = kv

    @staticmethod
    def _key(customer_id: str) -> str:
        return f"menu:{customer_id}"

    def remember(
        self, customer_id: str, buttons: list[tuple[str, str]], now: datetime,
        ttl: timedelta = MENU_TTL,
    ) -> None:
        """Offer these (id, title) buttons; no buttons retires the old menu."""
        if not buttons:
            # A reply without buttons retires the old menu: "1" must not press a stale button.
            self.kv.delete(self._key(customer_id))
            return
        value = json.dumps(
            {"offered_at": iso(now), "buttons": [list(button) for button in buttons]},
            ensure_ascii=False,
        )
        self.kv.set(self._key(customer_id), value, now, expires_at=now + ttl)

    def current(self, customer_id: str, now: datetime) -> list[tuple[str, str]]:
        """The buttons offered last, unless they expired."""
        return self.offered(customer_id, now)[0]

    def offered(
        self, customer_id: str, now: datetime
    ) -> tuple[list[tuple[str, str]], datetime | None]:
        """The buttons offered last and when (None for a menu stored before that was kept)."""
        stored = self.kv.get(self._key(customer_id), now)
        if stored is None:
            return [], None
        data = json.loads(stored)
        offered_at = None
        if isinstance(data, dict):
            offered_at = parse_iso(data["offered_at"])
            data = data["buttons"]
        return [(str(button_id), str(title)) for button_id, title in data], offered_at

    def forget(self, customer_id: str) -> None:
        """Retire the customer's menu."""
        self.kv.delete(self._key(customer_id))


class PlatformMenus:
    """The titles of a platform's own menu (WeChat's custom menu) by key, remembered when the
    menu is set, so that a click on it reads like the button it is."""

    def __init__(self, kv: KeyValues) -> None:
        self.kv = kv

    @staticmethod
    def _key(platform: str) -> str:
        return f"platform-menu:{platform}"

    def remember(self, platform: str, titles: Mapping[str, str], now: datetime) -> None:
        """The menu now shown on `platform`: key -> title (empty: no menu)."""
        if not titles:
            self.kv.delete(self._key(platform))
            return
        self.kv.set(self._key(platform), json.dumps(dict(titles), ensure_ascii=False), now)

    def title(self, platform: str, key: str) -> str:
        """The title of the menu entry with this key ('' when unknown)."""
        stored = self.kv.get(self._key(platform))
        titles = json.loads(stored) if stored else {}
        return str(titles.get(key, ""))
