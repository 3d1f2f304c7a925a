"""The `[staff]` and `[handoff]` settings: who runs the bot, and how people take over."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.config.reader import TableReader

STAFF_ROLES = ("agent", "editor", "admin")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class StaffSettings:
    """Who runs the bot from the chat apps, and where they hear about handoffs."""

    members: Mapping[str, str] = field(default_factory=dict)  # "platform:user_id" -> role
    chat: str = ""  # "platform:chat_id" of the staff chat; empty: no notifications
    confirm_points_above: int = 500  # grants above this many points need /confirm


@dataclass(frozen=True, slots=True)
class HandoffSettings:
    """When people are on duty and how a conversation reaches them."""

    opens: str = "09:00"  # business hours in the brand's time zone
    closes: str = "22:00"
    days: tuple[str, ...] = WEEKDAYS
    idle_timeout_minutes: int = 30
    transcript_lines: int = 8
    triggers: tuple[str, ...] = ("人工", "转人工", "人工客服", "真人", "human", "agent")



def read_staff(table: TableReader) -> StaffSettings:
    defaults = StaffSettings()
    members_table = table.subtable("members")
    members: dict[str, str] = {}
    for identity in members_table.table:
        role = members_table.string(identity, choices=STAFF_ROLES)
        platform, _, user_id = identity.partition(":")
        if not platform or not user_id:
            members_table.problem(identity, "must be written as \"platform:user_id\"")
        elif platform == "web":
            # Web chat ids are chosen by the browser, so anyone could claim one.
            members_table.problem(identity, "web chat identities cannot be staff")
        elif role:
            members[identity] = role
    members_table.finish()
    chat = table.string("chat", defaults.chat)
    if chat and (":" not in chat or not chat.partition(":")[2]):
        table.problem("chat", "must be written as \"platform:chat_id\"")
    return StaffSettings(
        members=members,
        chat=chat,
        confirm_points_above=table.integer(
            "confirm_points_above", defaults.confirm_points_above, minimum=0
        ),
    )


def read_handoff(table: TableReader) -> HandoffSettings:
    defaults = HandoffSettings()
    days = table.strings("days", defaults.days)
    unknown = [day for day in days if day not in WEEKDAYS]
    if unknown:
        table.problem("days", f"unknown days {', '.join(unknown)} (use {', '.join(WEEKDAYS)})")
        days = defaults.days
    words = table.strings("triggers", defaults.triggers)
    triggers = tuple(word.strip().casefold() for word in words)
    return HandoffSettings(
        opens=table.clock_time("opens", defaults.opens),
        closes=table.clock_time("closes", defaults.closes),
        days=days,
        idle_timeout_minutes=table.integer(
            "idle_timeout_minutes", defaults.idle_timeout_minutes, minimum=1
        ),
        transcript_lines=table.integer("transcript_lines", defaults.transcript_lines, minimum=0),
        triggers=tuple(word for word in triggers if word),
    )
