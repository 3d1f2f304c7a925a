"""Conversation tests read like a chat: `replies = await chat.say("order 1234")`."""

from __future__ import annotations

import itertools

from bot.app import Bot
from bot.core.message import Event, Message, MessageKind, Reply, utc_now

_ids = itertools.count(1)


class Chat:
    """One customer talking to the bot through the pipeline."""

    def __init__(self, bot: Bot, platform: str = "web", user_id: str = "customer-1") -> None:
        self.bot = bot
        self.platform = platform
        self.user_id = user_id

    def message(self, text: str = "", **fields: object) -> Message:
        """A message from this customer with a fresh delivery key."""
        values: dict[str, object] = {
            "platform": self.platform,
            "message_id": f"m{next(_ids)}",
            "user_id": self.user_id,
            "chat_id": self.user_id,
            "kind": MessageKind.TEXT,
            "text": text,
            "received_at": utc_now(),
        }
        values.update(fields)
        return Message(**values)  # type: ignore[arg-type]

    async def send(self, message: Message) -> list[Reply]:
        """Deliver a message and return the replies to the sender."""
        handled = await self.bot.pipeline.receive(message)
        return handled.replies

    async def say(self, text: str) -> list[Reply]:
        """Type a text message."""
        return await self.send(self.message(text))

    async def press(self, button_id: str, title: str = "") -> list[Reply]:
        """Press a button under an earlier reply."""
        return await self.send(
            self.message(title, kind=MessageKind.BUTTON, payload=button_id)
        )

    async def event(self, event: Event, payload: str | None = None) -> list[Reply]:
        """Trigger a platform event (follow, menu click …)."""
        return await self.send(self.message(kind=MessageKind.EVENT, event=event, payload=payload))
