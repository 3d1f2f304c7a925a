"""Broadcasts: opted-in customers only, a dry run that skips closed windows, then /confirm."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime

import pytest

from bot.app import Bot
from bot.config import Config
from bot.core.adapter import OutboundRequest
from bot.core.message import Address, Reply
from tests.helpers.chat import Chat
from tests.helpers.staff import sent, staff_config, started, stop


class ClosedWindowAdapter:
    """A platform whose messaging window is always closed (like WhatsApp after 24 hours)."""

    name = "closedapp"

    def render_to(self, address: Address, replies: Sequence[Reply]) -> tuple[OutboundRequest, ...]:
        return tuple(
            OutboundRequest(self.name, address.chat_id, "/send", reply.to_dict())
            for reply in replies
        )

    def window_open(self, last_inbound_at: datetime | None, now: datetime) -> bool:
        return False


@pytest.fixture
def config(make_config: Callable[..., Config]) -> Config:
    return staff_config(make_config)


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[Bot]:
    instance = await started(config, None)
    adapter = ClosedWindowAdapter()
    instance.adapters[adapter.name] = adapter  # type: ignore[assignment]
    instance.outgoing.adapters[adapter.name] = adapter  # type: ignore[assignment]
    yield instance
    await stop(instance)


async def test_a_dry_run_counts_recipients_and_skips_closed_windows(bot: Bot) -> None:
    await Chat(bot, user_id="web-fan").say("订阅")
    await Chat(bot, user_id="web-quiet").say("多久发货")  # never opted in
    await Chat(bot, user_id="web-gone").say("subscribe")
    await Chat(bot, user_id="web-gone").say("unsubscribe")
    closed = bot.store.customers.resolve("closedapp", "far-away", bot.clock.now())
    bot.store.broadcasts.set_opted_in(closed.id, True, bot.clock.now())
    admin = Chat(bot, platform="console", user_id="admin")
    before = len(bot.store.outbox.list(limit=1000))

    dry = await admin.say("/broadcast all 新品明前龙井到货啦")
    assert dry[0].text.startswith(
        "Dry run, nothing sent: 1 recipients (web 1), 1 skipped outside the messaging window,"
        " 0 unreachable."
    )
    assert len(bot.store.outbox.list(limit=1000)) == before  # nothing queued by a dry run
    only_closed = await admin.say("/broadcast platform:closedapp hello")
    assert "0 recipients (none), 1 skipped outside the messaging window" in only_closed[0].text

    code = dry[0].text.rsplit("/confirm ", 1)[1].split()[0]
    done = await admin.say(f"/确认 {code}")
    assert done[0].text.startswith("Broadcast 1 queued: 1 recipients (web 1), 1 skipped")
    assert sent(bot, "web", "web-fan")[-1] == "新品明前龙井到货啦"
    assert "新品明前龙井到货啦" not in sent(bot, "web", "web-quiet") + sent(bot, "web", "web-gone")
    assert sent(bot, "closedapp") == []
    progress = await admin.say("/broadcast status 1")
    assert progress[0].text.startswith("Broadcast 1 to all: 1 queued, 1 skipped; outbox:")
    [entry] = bot.store.staff.recent_audit()
    assert (entry.action, entry.target, entry.after["queued"], entry.after["skipped"]) == (
        "broadcast", "all", 1, 1,
    )


async def test_blocked_customers_are_not_in_the_audience(bot: Bot) -> None:
    await Chat(bot, user_id="web-fan").say("订阅")
    customer = bot.store.customers.find("web", "web-fan")
    assert customer is not None
    await Chat(bot, platform="console", user_id="admin").say(f"/block {customer.id}")
    dry = await Chat(bot, platform="console", user_id="admin").say("/广播 all hi")
    assert "0 recipients" in dry[0].text
