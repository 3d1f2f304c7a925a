"""Human handoff across two platforms: request, take, relay both ways, release, rating."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import Bot
from bot.config import Config
from bot.core.clock import iso
from tests.helpers.chat import Chat
from tests.helpers.staff import sent, staff_config, started, stop


@pytest.fixture
def config(make_config: Callable[..., Config]) -> Config:
    return staff_config(make_config, handoff={"opens": "00:00", "closes": "24:00"})


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[Bot]:
    instance = await started(config, None)
    yield instance
    await stop(instance)


def agent(bot: Bot, name: str = "agent") -> Chat:
    return Chat(bot, platform="console", user_id=name)


async def test_a_full_handoff_round_trip_across_two_platforms(bot: Bot) -> None:
    customer = Chat(bot, platform="web", user_id="alice")
    staff = agent(bot)
    # The customer asks for a person on the web; the staff chat (console) is told.
    queued = await customer.say("人工")
    assert queued[0].text.startswith("好的，已为你转接人工客服，你前面还有 0 位")
    [notice] = sent(bot, "console", "agent")
    assert notice.startswith("🔔 #1 ") and "web:alice" in notice and "> 人工" in notice
    assert "/take 1" in notice

    # The agent takes it: they get the transcript, the customer is told on the web.
    took = await staff.say("/take 1")
    assert took[0].text.startswith("You have #1 (web:alice") and "> 人工" in took[0].text
    assert sent(bot, "web", "alice") == ["客服同事已接入，接下来会由真人回复你。"]

    # The bot is silent to the customer; their message goes to the staff chat.
    assert await customer.say("多久发货") == []
    assert sent(bot, "console", "agent")[-1] == "#1 alice: 多久发货"
    # The agent's plain text and "#1 …" both reach the customer on the web, nothing else.
    assert await staff.say("今天下午四点前发货") == []
    assert await staff.say("#1 还有别的问题吗？") == []
    relayed = ["【客服】今天下午四点前发货", "【客服】还有别的问题吗？"]
    assert sent(bot, "web", "alice")[1:] == relayed
    assert await customer.say("没有了，谢谢") == []

    # /release hands it back and asks for a rating; the bot answers again.
    released = await staff.say("/release")
    assert released[0].text.startswith("#1 released")
    prompt = sent(bot, "web", "alice")[-1]
    assert prompt.startswith("本次人工服务已结束") and "1–5" in prompt
    thanks = await customer.say("5")
    assert thanks[0].text.startswith("谢谢你的评分")
    handoff = bot.store.handoffs.get(1)
    assert handoff is not None
    assert (handoff.status, handoff.close_reason, handoff.rating) == ("closed", "released", 5)
    answer = await customer.say("多久发货")
    assert "16:00" in answer[0].text
    # Both directions of the relayed conversation are in the customer's log.
    customer_id = handoff.customer_id
    log = bot.store.conversations.recent(customer_id, 30)
    lines = [(line.direction, line.text) for line in log]
    assert ("out", "【客服】今天下午四点前发货") in lines and ("in", "没有了，谢谢") in lines
    # The rating and the handoff are in /stats; take and release are audited.
    stats = await agent(bot, "admin").say("/stats")
    assert "1 requested, 1 taken, 1 closed (0 idle); 1 rated, average 5.0" in stats[0].text
    assert [entry.action for entry in bot.store.staff.recent_audit()] == [
        "handoff.release", "handoff.take",
    ]


async def test_the_rating_button_counts_once(bot: Bot) -> None:
    customer = Chat(bot, user_id="bob")
    await customer.say("human")
    await agent(bot).say("/take 1")
    await agent(bot).say("/release 1")
    await customer.press("handoff:rate:1:3")
    await customer.press("handoff:rate:1:1")  # a second press changes nothing
    handoff = bot.store.handoffs.get(1)
    assert handoff is not None and handoff.rating == 3


async def test_the_idle_timeout_hands_the_conversation_back(bot: Bot) -> None:
    customer = Chat(bot, user_id="carol")
    await customer.say("转人工")
    await agent(bot).say("/take 1")
    # The conversation was last active 31 minutes ago. (Moving the bot's fixed clock instead
    # makes the foundation outbox spin at shutdown, so the row is dated back.)
    bot.store.db.execute(
        "UPDATE handoffs SET active_at = ? WHERE id = 1",
        [iso(bot.clock.now() - timedelta(minutes=31))],
    )
    replies = await customer.say("还在吗")
    assert replies[0].text.startswith("因为一段时间没有新消息，人工服务已结束")
    assert [button.title for button in replies[0].buttons] == ["1", "2", "3", "4", "5"]
    assert sent(bot, "console", "agent")[-1] == "#1 is back with the bot (idle)."
    handoff = bot.store.handoffs.get(1)
    assert handoff is not None and handoff.close_reason == "timeout"
    # The agent's next plain text is no longer relayed.
    before = sent(bot, "web", "carol")
    await agent(bot).say("sorry, I was away")
    assert sent(bot, "web", "carol") == before


async def test_only_the_holding_agent_relays(bot: Bot) -> None:
    await Chat(bot, user_id="dave").say("人工")
    await agent(bot).say("/take 1")
    refused = await agent(bot, "agent2").say("#1 hello from someone else")
    assert "not a conversation you hold" in refused[0].text
    taken = await agent(bot, "agent2").say("/take 1")
    assert "#1 is claimed by console:agent" in taken[0].text
    refused = await agent(bot, "agent2").say("/release 1")
    assert "only they release it" in refused[0].text
    assert sent(bot, "web", "dave") == ["客服同事已接入，接下来会由真人回复你。"]


async def test_the_kb_action_and_the_button_ask_for_a_person(bot: Bot) -> None:
    fallback = await Chat(bot, user_id="erin").say("qwzx plomf")
    assert ("handoff", "Talk to a person") in [(b.id, b.title) for b in fallback[0].buttons]
    pressed = await Chat(bot, user_id="erin").press("handoff")
    assert "ahead of you" in pressed[0].text
    spoken = await Chat(bot, user_id="frank").say("我要和人说话")  # the FAQ with the action
    assert spoken[0].text.startswith("好的，已为你转接人工客服，你前面还有 1 位")
    again = await Chat(bot, user_id="frank").say("人工")
    assert again[0].text.startswith("你已经在人工客服队列里啦")
    queue = await agent(bot).say("/排队")
    assert "#1 queued web:erin" in queue[0].text and "#2 queued web:frank" in queue[0].text


async def test_outside_business_hours_the_customer_is_told(
    make_config: Callable[..., Config],
) -> None:
    late = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    bot = await started(staff_config(make_config), late)
    try:
        replies = await Chat(bot, user_id="owl").say("人工")
        assert "现在不是客服在线时间（每天 09:00–22:00）" in replies[0].text
        assert bot.store.handoffs.open_for(
            bot.store.customers.find("web", "owl").id  # type: ignore[union-attr]
        ) is not None
    finally:
        await stop(bot)


async def test_the_bot_stays_quiet_in_a_group_staff_chat(
    make_config: Callable[..., Config],
) -> None:
    bot = await started(staff_config(make_config, staff={"chat": "console:-100room"}))
    try:
        room = Chat(bot, platform="console", user_id="agent")
        chatter = await room.send(room.message("多久发货", chat_id="-100room", is_private=False))
        assert chatter == []
        await Chat(bot, user_id="gina").say("人工")
        assert sent(bot, "console", "-100room")[0].startswith("🔔 #1")
        await room.send(room.message("/take 1", chat_id="-100room", is_private=False))
        await room.send(room.message("#1 hi Gina", chat_id="-100room", is_private=False))
        assert sent(bot, "web", "gina")[-1] == "【客服】hi Gina"
    finally:
        await stop(bot)


async def test_customers_opt_in_and_out_of_broadcasts(bot: Bot) -> None:
    customer = Chat(bot, user_id="hana")
    assert (await customer.say("订阅"))[0].text.startswith("已订阅")
    found = bot.store.customers.find("web", "hana")
    assert found is not None and bot.store.broadcasts.is_opted_in(found.id)
    assert (await customer.say("unsubscribe"))[0].text.startswith("You're unsubscribed")
    assert not bot.store.broadcasts.is_opted_in(found.id)


async def test_an_idle_conversation_is_handed_back_even_if_nobody_writes(bot: Bot) -> None:
    from bot.staff.timer import HandoffTimer

    customer = Chat(bot, user_id="dora")
    await customer.say("转人工")
    await agent(bot).say("/take 1")
    timer = next(s for s in bot.services if isinstance(s, HandoffTimer))
    assert timer.expire() == 0  # still active: nothing happens
    bot.store.db.execute(
        "UPDATE handoffs SET active_at = ? WHERE id = 1",
        [iso(bot.clock.now() - timedelta(minutes=31))],
    )
    assert timer.expire() == 2  # the customer's rating question and the agent's notice
    handoff = bot.store.handoffs.get(1)
    assert handoff is not None and handoff.close_reason == "timeout"
    assert sent(bot, "console", "agent")[-1] == "#1 is back with the bot (idle)."
    assert sent(bot, "web", "dora")[-1].startswith("因为一段时间没有新消息，人工服务已结束")
    assert timer.expire() == 0  # closed once
