"""Fan rewards: understands check-in, points, rewards, invites, linking and leaderboard commands,
follow/start events with referral payloads, and typed codes; the answers live in sibling modules.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace

from bot.config import Config
from bot.core.message import Event, Message, MessageKind, Reply
from bot.runtime.context import Action, Context
from bot.runtime.router import Continue, MenuCommand, Route
from bot.store.rewards.referrals import ALPHABET, CODE_LENGTH, normalise_code
from handlers.rewards import checkin, linking, points, redeem, referral
from handlers.rewards.common import follow_bonus_note, join, tier_note

BUTTON_PREFIX = "rewards:"
WORDS = {
    "checkin": ("签到", "打卡", "每日签到", "今日签到", "check in", "checkin", "check-in"),
    "points": ("积分", "我的积分", "查积分", "points", "my points"),
    "catalogue": ("兑换", "积分兑换", "积分商城", "rewards", "redeem"),
    "invite": ("邀请", "邀请好友", "邀请码", "我的邀请码", "invite"),
    "link": ("绑定", "绑定账号", "link"),
    "top": ("排行榜", "积分榜", "leaderboard", "top fans"),
    "top_off": ("隐藏排名", "不上榜", "hide my rank"),
    "top_on": ("显示排名", "show my rank"),
}
PHRASES = {word: name for name, words in WORDS.items() for word in words}
COMMANDS = {
    "/checkin": "checkin", "/points": "points", "/rewards": "catalogue", "/invite": "invite",
    "/link": "link", "/top": "top", "/leaderboard": "top",
}
REDEEM = re.compile(r"^(?:兑换|redeem|/redeem)\s*(\d{1,3})$")
# The code must come with the word: a bare number that links when it happens to be live would
# let anyone probe for codes without being counted (bot/store/links.py limits wrong codes).
LINK_CODE = re.compile(r"^(?:绑定|link|/link)\s*(\d{6})$")
REFERRAL_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])ref_([A-Za-z0-9]{4,16})(?![A-Za-z0-9])")
PLAIN_CODE = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")
READABLE = (MessageKind.TEXT, MessageKind.COMMAND, MessageKind.VOICE)


@dataclass(frozen=True, slots=True)
class Intent:
    """What the rewards route understood, with its argument (a code, a reward number)."""

    name: str
    argument: str = ""


def _referral_payload(payload: str | None) -> str:
    payload = (payload or "").strip()
    return normalise_code(payload) if payload.lower().startswith("ref_") else ""


def _event(message: Message) -> Intent | None:
    if message.event in (Event.FOLLOW, Event.START):
        return Intent("arrive", _referral_payload(message.payload))
    if message.event == Event.SCAN:
        code = _referral_payload(message.payload)
        return Intent("referral", code) if code else None
    if message.event == Event.MENU_CLICK:
        return _button(message.payload or "")
    return None


def _button(payload: str) -> Intent | None:
    if not payload.startswith(BUTTON_PREFIX):
        return None
    name, _, argument = payload.removeprefix(BUTTON_PREFIX).partition(":")
    if name == "redeem" and argument.isdigit():
        return Intent("redeem", argument)
    return Intent(name) if name in WORDS else None


def _text(text: str, ctx: Context) -> Intent | None:
    word = " ".join(text.strip().casefold().rstrip("!！。.?？").split())
    command, _, rest = word.partition(" ")
    command = command.split("@", 1)[0]
    if command == "/start":
        return Intent("arrive", _referral_payload(rest))
    if command == "/top" and rest in ("off", "on"):
        return Intent(f"top_{rest}")
    if command in COMMANDS and not (command == "/link" and rest):
        return Intent(COMMANDS[command])
    if word in PHRASES:
        return Intent(PHRASES[word])
    found = REDEEM.match(word)
    if found:
        return Intent("redeem", found.group(1))
    found = LINK_CODE.match(word)
    if found:
        return Intent("use_link", found.group(1))
    found = REFERRAL_IN_TEXT.search(text)
    if found:
        return Intent("referral", normalise_code(found.group(1)))
    plain = text.strip().upper()
    if PLAIN_CODE.match(plain) and ctx.store.loyalty.referrals.owner(plain) is not None:
        return Intent("referral", plain)
    return None


def _is_first_contact(message: Message, ctx: Context) -> bool:
    # A platform without a follow event (WhatsApp): the first message is the arrival.
    platform = ctx.platforms.get(message.platform)
    return (
        platform is not None and platform.arrives_by_message
        and ctx.config.rewards.follow_bonus > 0
        and not ctx.store.loyalty.has_reason(ctx.customer.id, "follow_bonus")
    )


def match(message: Message, ctx: Context) -> Intent | None:
    """A rewards command, button, menu key, arrival event or code; None if not ours."""
    if not ctx.config.rewards.enabled:
        return None
    if message.kind is MessageKind.EVENT:
        return _event(message)
    intent = None
    if message.kind is MessageKind.BUTTON:
        intent = _button(message.payload or "")
    elif message.kind in READABLE and message.text.strip():
        intent = _text(message.text, ctx)
    if intent is None and _is_first_contact(message, ctx):
        return Intent("first_contact")
    return intent


async def _points(message: Message, ctx: Context, argument: str) -> list[Reply]:
    return await points.points(message, ctx)


HANDLERS: Mapping[str, Callable[[Message, Context, str], Awaitable[list[Reply]]]] = {
    "arrive": referral.arrive,
    "referral": referral.referral_code,
    "use_link": linking.use_link_code,
    "redeem": lambda message, ctx, argument: redeem.redeem(message, ctx, int(argument)),
    "checkin": lambda message, ctx, argument: checkin.checkin(message, ctx),
    "points": _points,
    "catalogue": lambda message, ctx, argument: redeem.catalogue(message, ctx),
    "invite": lambda message, ctx, argument: referral.invite(message, ctx),
    "link": lambda message, ctx, argument: linking.link(message, ctx),
    "top": lambda message, ctx, argument: points.leaderboard(message, ctx),
    "top_off": lambda message, ctx, argument: points.leaderboard_visibility(message, ctx, False),
    "top_on": lambda message, ctx, argument: points.leaderboard_visibility(message, ctx, True),
}


def _with_notes(replies: list[Reply], *notes: str) -> list[Reply]:
    """Add notes (gift, tier change) to the sender's first reply, or as a reply of their own."""
    text = join(*notes)
    if not text:
        return replies
    for index, reply in enumerate(replies):
        if reply.to is None:
            replies[index] = replace(reply, text=join(reply.text, text))
            return replies
    return [Reply(text=text), *replies]


async def handle(message: Message, ctx: Context, intent: Intent) -> list[Reply] | Continue:
    """Answer a rewards intent; WhatsApp's first contact also gets the welcome gift."""
    gift = ""
    if intent.name != "arrive" and _is_first_contact(message, ctx):
        gift = follow_bonus_note(message, ctx)
    if intent.name == "first_contact":
        # The gift, then whatever the routes after this one answer to the message itself.
        return Continue([Reply(text=join(gift, tier_note(ctx)))])
    replies = await HANDLERS[intent.name](message, ctx, intent.argument)
    if gift and intent.name == "referral" and replies:
        # A WhatsApp invite link's prefilled text is the customer's first message: greet too.
        welcome = ctx.text("welcome", brand=ctx.config.bot.brand)
        replies[0] = replace(replies[0], text=join(welcome, replies[0].text))
    return _with_notes(replies, gift, tier_note(ctx))


def _action(name: str) -> Action:
    async def run(message: Message, ctx: Context) -> list[Reply]:
        replies = await handle(message, ctx, Intent(name))
        return replies.replies if isinstance(replies, Continue) else replies

    return run


# Knowledge-base entries (knowledge_base/faq/membership.toml) that hand over to this feature.
ACTIONS: Mapping[str, Action] = {
    "rewards.checkin": _action("checkin"),
    "rewards.points": _action("points"),
    "rewards.catalogue": _action("catalogue"),
    "rewards.referral": _action("invite"),
    "rewards.link": _action("link"),
}

def _rewards_on(config: Config) -> bool:
    return config.rewards.enabled


ROUTE = Route(
    name="rewards", match=match, handle=handle,
    menu=tuple(
        MenuCommand(command, f"command_{command}", _rewards_on)
        for command in ("checkin", "points", "rewards", "invite")
    ),
)
