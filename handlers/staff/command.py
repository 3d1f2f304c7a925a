"""The shape of a staff command: who may run it, its usage line, and how it is invoked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.errors import UsageError
from bot.core.message import Message, Reply
from bot.runtime.context import Context


@dataclass(frozen=True, slots=True)
class Invocation:
    """One staff command as typed: who, with which role, and the text after the command."""

    message: Message
    staff: str
    role: str
    command: Command
    arguments: str

    def audit(
        self, ctx: Context, action: str, *, target: str = "", before: Any = None,
        after: Any = None,
    ) -> None:
        """Write the audit row for a change this command made."""
        ctx.store.staff.audit(
            staff=self.staff, role=self.role, action=action, target=target, before=before,
            after=after, now=ctx.now(),
        )


Run = Callable[[Invocation, Context], Awaitable[list[Reply]]]
# Carries out a dry run once confirmed, from the arguments stored with its code.
Confirmed = Callable[[Invocation, Context, Mapping[str, Any]], Awaitable[list[Reply]]]


@dataclass(frozen=True, slots=True)
class Command:
    """One entry of the command table."""

    name: str  # "stats", or "kb find" for a subcommand
    role: str  # the least role that may run it
    usage: str
    run: Run
    aliases: tuple[str, ...] = ()  # Chinese names, same arguments
    staff_chat: bool = False  # also allowed in a group staff chat (not only in private)


def words(arguments: str, count: int) -> list[str]:
    """Exactly `count` whitespace-separated arguments, or a UsageError."""
    parts = arguments.split()
    if len(parts) != count:
        raise UsageError
    return parts


def text_reply(*lines: str) -> list[Reply]:
    """One reply made of lines."""
    return [Reply(text="\n".join(lines))]
