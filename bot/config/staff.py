"""The `[staff]` and `[handoff]` settings: who runs the bot, and how people take over."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.config.reader import TableReader

STAFF_ROLES = ("agent", "editor", "admin")
STAFF_LANGUAGES = ("zh-Hans", "zh-Hant", "en")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class StaffSettings:
    """Who runs the bot from the chat apps, and where they hear about handoffs."""

    members: Mapping[str, str] = field(default_factory=dict)  # "platform:user_id" -> role
    # "platform:user_id" -> the language staff texts are written in for them (zh-Hans, en);
    # not given: the language the bot knows them by.
    languages: Mapping[str, str] = field(default_factory=dict)
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
    languages: dict[str, str] = {}
    for identity in members_table.table:
        if isinstance(members_table.table[identity], dict):
            # "telegram:123" = { role = "admin", language = "en" }
            member = members_table.subtable(identity)
            role = member.string("role", choices=STAFF_ROLES)
            if not role:
                member.problem("role", f"must be one of {', '.join(STAFF_ROLES)}")
            language = member.string("language", choices=STAFF_LANGUAGES)
            if language:
                languages[identity] = language
            member.finish()
        else:
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
        languages=languages,
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
