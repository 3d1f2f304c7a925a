"""Who is staff: roles by platform identity, the staff chat, and the order of roles."""

from __future__ import annotations

from datetime import timedelta

from bot.core.message import Address, Message
from bot.runtime.context import Context

ROLES = ("agent", "editor", "admin")  # each role may do everything the ones before it may
# How long a dry run's confirm code stays valid, in chat (/confirm) and in the console.
CONFIRM_TTL = timedelta(minutes=10)


def staff_id(message: Message) -> str:
    """The sender as written in config.toml: "platform:user_id"."""
    return f"{message.platform}:{message.user_id}"


def role_of(message: Message, ctx: Context) -> str | None:
    """The sender's staff role, or None for a customer."""
    return ctx.config.staff.members.get(staff_id(message))


def allows(role: str, needed: str) -> bool:
    """Whether `role` may run a command that needs `needed`."""
    return ROLES.index(role) >= ROLES.index(needed)


def staff_chat(ctx: Context) -> Address | None:
    """Where handoff notifications go, if configured."""
    platform, _, chat_id = ctx.config.staff.chat.partition(":")
    return Address(platform, chat_id) if platform and chat_id else None


def in_staff_chat(message: Message, ctx: Context) -> bool:
    """Whether the message was written in the configured staff chat."""
    address = staff_chat(ctx)
    return address is not None and (message.platform, message.chat_id) == (
        address.platform, address.chat_id,
    )
