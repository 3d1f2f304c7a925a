"""Answers that wait for a passive reply: on a platform that can answer only in a webhook's
answer (a WeChat account without the customer-service API), replies that missed their budget
are kept in the store, then given in the answer to the platform's retry of the message, or,
once no retry is coming, at the customer's next message with a line saying what they are.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import replace

from bot.core.adapter import HoldingAdapter, WebhookAnswer
from bot.core.clock import Clock
from bot.core.message import Event, Message, MessageKind, Reply
from bot.core.texts import Texts
from bot.runtime.outgoing import Outgoing
from bot.store import Store
from bot.store.held import ANSWER, REST, HeldReply

log = logging.getLogger(__name__)

# The canned text (replies.toml) that introduces held replies given at a later message.
INTRODUCTIONS = {
    ANSWER: "held_intro_answer",
    REST: "held_intro_rest",
}
LATER_INTRODUCTION = "held_intro_later"
# Events whose passive answer nobody reads (an unfollow, a location report, leaving for a
# web page): held replies wait for a message the customer sees the answer to.
UNSEEN = {Event.UNFOLLOW, Event.BLOCKED, Event.LOCATION_REPORT, Event.MENU_VIEW}


class HeldAnswers:
    """Gives held replies once: in a retry's answer, or prepended to the next answer."""

    def __init__(self, store: Store, outgoing: Outgoing, texts: Texts, clock: Clock) -> None:
        self.store = store
        self.outgoing = outgoing
        self.texts = texts
        self.clock = clock

    def holds(self, platform: str) -> bool:
        """Whether replies on this platform wait for a passive answer when they are late."""
        adapter = self.outgoing.adapters.get(platform)
        return isinstance(adapter, HoldingAdapter) and adapter.holds_replies()

    def in_retry(self, message: Message) -> tuple[list[Reply], WebhookAnswer] | None:
        """The held answer to `message`, claimed for the answer to the platform's retry of it.

        None when nothing is held for it (or the customer's next message took it meanwhile).
        Call only when this answer is sure to be the webhook's (its ticket taken).
        """
        key = message.message_id
        held = self.store.held.of_answer(message.platform, key)
        claimed = self.store.held.give([row.id for row in held], key, self.clock.now())
        if not claimed:
            return None
        replies = [row.reply for row in claimed]
        answer = self.outgoing.passive_answer(message, replies)
        if answer is None:
            return None
        log.info("%s message %s: its held answer went in the retry's answer",
                 message.platform, key)
        return replies, answer

    def earlier(self, message: Message, language: str) -> list[Reply]:
        """Everything still held for this chat, claimed for the passive answer to `message`,
        each group introduced ("here is the answer to your last question"); call inside the
        transaction that renders that answer."""
        if message.kind is MessageKind.EVENT and message.event in UNSEEN:
            return []
        waiting = self.store.held.waiting(message.platform, message.chat_id)
        claimed = self.store.held.give(
            [row.id for row in waiting], message.message_id, self.clock.now()
        )
        replies: list[Reply] = []
        for (reason, _), group in itertools.groupby(claimed, key=_group):
            rows = list(group)
            intro = self.texts.get(INTRODUCTIONS.get(reason, LATER_INTRODUCTION), language)
            first = rows[0].reply
            text = f"{intro}\n{first.text}" if first.text else intro
            replies.append(replace(first, text=text))
            replies.extend(row.reply for row in rows[1:])
        if claimed:
            log.info("%s message %s: %d held replies given with its answer",
                     message.platform, message.message_id, len(claimed))
        return replies


def _group(row: HeldReply) -> tuple[str, str]:
    return (row.reason, row.source)
