"""The feature code under the console: review groups, the stats report, point adjustments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.app import Bot
from bot.core.clock import FixedClock
from bot.kb.review_groups import group
from bot.staff import points, report
from bot.store.kb.review import ReviewItem
from tests.helpers.chat import Chat


def _item(number: int, key: str, count: int, near: tuple[str, ...] = ()) -> ReviewItem:
    moment = datetime(2026, 11, 23, tzinfo=UTC)
    return ReviewItem(number, key, "unanswered", count, moment, moment, (key,), near, "open",
                      None)


def test_similar_questions_are_grouped_and_the_most_asked_lead() -> None:
    groups = group([
        _item(1, "你们的猫叫什么名字", 5),
        _item(2, "可以寄到火星吗", 4, ("shipping-international",)),
        _item(3, "你们家的猫叫什么", 2),
        _item(4, "火星能送吗", 1, ("shipping-international",)),
        _item(5, "do you sell coffee", 3),
    ])
    assert [[item.id for item in g.items] for g in groups] == [[1, 3], [2, 4], [5]]
    assert [g.count for g in groups] == [7, 5, 3]
    assert groups[1].near == ("shipping-international",)


async def test_the_report_counts_local_days(bot: Bot) -> None:
    clock = FixedClock(datetime(2026, 11, 22, 17, 30, tzinfo=UTC))  # 01:30 on the 23rd here
    bot.store.conversations.append(customer_id="c1", platform="web", chat_id="x",
                                   direction="in", kind="text", text="hi", now=clock.now())
    bot.store.conversations.append(customer_id="c1", platform="web", chat_id="x",
                                   direction="in", kind="text", text="hi",
                                   now=clock.now() - timedelta(hours=2))  # the 22nd, locally
    numbers = report.build(bot.store, bot.pipeline.texts, bot.config.bot.zone,
                           date(2026, 11, 22), date(2026, 11, 23))
    assert [(day.day.day, day.messages["web"]) for day in numbers.days] == [(22, 1), (23, 1)]
    assert numbers.top_questions == [("hi", 2)]
    rows = report.csv_rows(numbers)
    assert rows[0][:2] == ["date", "messages_web"] and rows[2][:2] == ["2026-11-23", "1"]


async def test_an_adjustment_is_once_per_key_and_never_below_zero(bot: Bot) -> None:
    await Chat(bot, user_id="fan").say("签到")
    customer = bot.store.customers.find("web", "fan")
    assert customer is not None
    now = bot.clock.now()
    start = bot.store.loyalty.balance(customer.id, now)
    common = {"staff": "console:admin", "role": "admin", "customer_id": customer.id,
              "reason": "test", "now": now}
    done = points.adjust(bot.store, action="grant", points=50, key="k1", **common)
    assert (done.outcome, done.before, done.after) == (points.Outcome.DONE, start, start + 50)
    again = points.adjust(bot.store, action="grant", points=50, key="k1", **common)
    assert again.outcome is points.Outcome.DUPLICATE
    refused = points.adjust(bot.store, action="deduct", points=start + 51, key="k2", **common)
    assert refused.outcome is points.Outcome.TOO_FEW
    assert bot.store.loyalty.balance(customer.id, now) == start + 50
    assert points.needs_confirmation(bot.config, 501) and not points.needs_confirmation(
        bot.config, 500)
