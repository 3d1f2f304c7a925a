"""Greets new followers and /start, and stays silent on events that need no answer."""

from __future__ import annotations

from bot.core.message import Event, Message, MessageKind, Reply
from bot.runtime.context import Context
from bot.runtime.router import MenuCommand, Route

GREETING_EVENTS = {Event.FOLLOW, Event.START}
# Greeting words are small talk (knowledge_base/faq/small-talk.toml); these ask for the menu.
GREETING_COMMANDS = {"/start", "/help", "help", "帮助"}
# Events a person did not mean as a question: replying would be noise or impossible.
SILENT_EVENTS = {
    Event.UNFOLLOW, Event.BLOCKED, Event.UNBLOCKED, Event.LOCATION_REPORT, Event.MENU_VIEW,
    Event.SCAN,
}


def match(message: Message, ctx: Context) -> str | None:
    """'greet' for follows, /start and greetings; 'silent' for events that get no reply."""
    if message.kind is MessageKind.EVENT:
        if message.event in GREETING_EVENTS:
            return "greet"
        if message.event in SILENT_EVENTS:
            return "silent"
        return None
    if message.kind in (MessageKind.TEXT, MessageKind.COMMAND):
        word = message.text.strip().casefold().rstrip("!！。.")
        if word.split("@", 1)[0] in GREETING_COMMANDS:
            return "greet"
    return None


async def handle(message: Message, ctx: Context, found: str) -> list[Reply]:
    """The welcome text, or nothing for silent events."""
    if found == "silent":
        return []
    return [Reply(text=ctx.text("welcome", brand=ctx.config.bot.brand))]


ROUTE = Route(
    name="welcome", match=match, handle=handle,
    menu=(MenuCommand("start", "telegram_command_start", rank=0),
          MenuCommand("help", "telegram_command_help", rank=1)),
)
