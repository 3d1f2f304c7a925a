"""The bot's command menu (the "/" list in Telegram), set from the routes when the bot starts
and by `brandbot webhook set`: one setMyCommands for everyone (the brand's default language)
and one per menu language (docs/platforms.md §2.7). The bot tries a failed attempt again a
minute later."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import aiohttp

from bot.adapters.telegram.api import call
from bot.config.telegram import TelegramSettings
from bot.core.errors import TelegramApiError
from bot.core.service import Service

log = logging.getLogger(__name__)

RETRY_SECONDS = 60.0
# Set again once a day: an operator who changed it in @BotFather gets the routes' menu back.
AGAIN_SECONDS = 24 * 3600.0
TIMEOUT = 10.0
MAX_DESCRIPTION = 256  # setMyCommands: descriptions of 1-256 characters
MAX_COMMANDS = 100

# setMyCommands takes two-letter codes; no code is the menu for everyone else.
MENU_LANGUAGES = (("zh", "zh-Hans"), ("en", "en"))

# (command, description) in one language; "" is the menu for every other language.
Menus = Mapping[str, Sequence[tuple[str, str]]]


def within_limits(commands: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (command, description) pairs setMyCommands accepts: the first 100, descriptions cut."""
    return [
        (command, description[:MAX_DESCRIPTION])
        for command, description in commands[:MAX_COMMANDS]
    ]


class CommandMenu(Service):
    """Sets the command menus once at start (and daily), retrying while Telegram fails."""

    def __init__(self, settings: TelegramSettings, menus: Menus) -> None:
        super().__init__("telegram-command-menu", AGAIN_SECONDS)
        self.settings = settings
        self.menus = menus
        self.done = False

    @property
    def active(self) -> bool:
        """Only when there is a menu to set."""
        return any(self.menus.values())

    async def round(self) -> float | None:
        """setMyCommands for each language; a minute until the next try if one failed."""
        try:
            async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=TIMEOUT)
            ) as session:
                for code, commands in self.menus.items():
                    await self._set(session, code, commands)
        except (TelegramApiError, aiohttp.ClientError, TimeoutError) as error:
            log.warning("telegram command menu not set (trying again in %.0f s): %s",
                        RETRY_SECONDS, error)
            return RETRY_SECONDS
        self.done = True
        log.info("telegram command menu set: /%s",
                 ", /".join(command for command, _ in next(iter(self.menus.values()), ())))
        return AGAIN_SECONDS

    async def _set(
        self, session: aiohttp.ClientSession, code: str, commands: Sequence[tuple[str, str]]
    ) -> None:
        params: dict[str, object] = {"commands": [
            {"command": command, "description": description}
            for command, description in within_limits(commands)
        ]}
        if code:
            params["language_code"] = code
        await call(session, self.settings.api_base_url, self.settings.token, "setMyCommands",
                   params)
