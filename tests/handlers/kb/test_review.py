"""Knowledge-base review in the chat: /kb unanswered, /kb attach and /kb undo."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.app import Bot
from bot.config import Config
from tests.helpers.chat import Chat
from tests.helpers.staff import staff_config, started, stop

QUESTION = "贝壳能当钱用吗"
FALLBACK = "抱歉，这个我没太看懂"
PAYMENT = "线上支持微信支付"  # the answer of payment-methods
SHIPPING = "16:00"  # in the answer of shipping-time


@pytest.fixture
async def bot(make_config: Callable[..., Config]) -> AsyncIterator[Bot]:
    instance = await started(staff_config(make_config))
    yield instance
    await stop(instance)


def editor(bot: Bot, name: str = "editor") -> Chat:
    return Chat(bot, platform="console", user_id=name)


async def test_a_fallback_question_is_listed_and_attached_in_one_step(bot: Bot) -> None:
    customer = Chat(bot, user_id="beachcomber")
    assert (await customer.say(QUESTION))[0].text.startswith(FALLBACK)
    await Chat(bot, user_id="another").say(QUESTION)
    queue = (await editor(bot).say("/kb unanswered"))[0].text
    [item] = bot.store.kb_review.items()
    assert f"#{item.id} ×2 unanswered" in queue and f"“{QUESTION}”" in queue
    assert "/kb attach <question id> <faq id>" in queue
    attached = await editor(bot).say(f"/kb attach {item.id} payment-methods")
    assert attached[0].text == (
        f"Question #{item.id} “{QUESTION}” is now answered by payment-methods."
    )
    assert (await customer.say(QUESTION))[0].text.startswith(PAYMENT)
    assert (await editor(bot).say("/知识库 待处理"))[0].text == "The review queue is empty."
    [entry] = bot.store.staff.recent_audit()
    assert (entry.action, entry.target, entry.staff) == ("kb.attach", "payment-methods",
                                                         "console:editor")
    assert QUESTION not in str(entry.before) and QUESTION in str(entry.after)
    # The attach is the editor's latest change: /kb undo takes the phrasing off again.
    undone = (await editor(bot).say("/kb undo"))[0].text
    assert undone.startswith("Undid your change to payment-methods") and QUESTION not in undone
    assert (await customer.say(QUESTION))[0].text.startswith(FALLBACK)


async def test_help_lists_the_review_and_points_commands_by_role(bot: Bot) -> None:
    editor_help = (await editor(bot).say("/help"))[0].text
    assert all(name in editor_help for name in ("/kb undo", "/kb unanswered", "/kb attach"))
    assert "/grant" not in editor_help
    admin_help = (await editor(bot, "admin").say("/help"))[0].text
    assert "/grant <customer> <points> <reason>" in admin_help and "/deduct" in admin_help


async def test_attach_refuses_unknown_ids_and_used_questions(bot: Bot) -> None:
    await Chat(bot, user_id="beachcomber").say(QUESTION)
    [item] = bot.store.kb_review.items()
    chat = editor(bot)
    assert (await chat.say(f"/kb attach {item.id} no-such-faq"))[0].text == (
        "Nothing attached: no FAQ 'no-such-faq'."
    )
    assert "no question 999" in (await chat.say("/kb attach 999 shipping-time"))[0].text
    assert (await chat.say("/kb attach shipping-time"))[0].text.startswith(
        "Usage: /kb attach <question id> <faq id>"
    )
    assert bot.store.staff.recent_audit() == []
    await chat.say(f"/kb 归入 #{item.id} shipping-time")
    assert (await chat.say(f"/kb attach {item.id} shipping-time"))[0].text == (
        f"Question #{item.id} is attached already."
    )
    assert len(bot.store.staff.recent_audit()) == 1


async def test_undo_restores_the_editors_latest_change(bot: Bot) -> None:
    customer = Chat(bot, user_id="asker")
    chat = editor(bot)
    assert (await chat.say("/kb undo"))[0].text == (
        "You have no knowledge-base change left to undo."
    )
    await chat.say("/kb answer shipping-time 今天下单，明天发货。")
    assert (await customer.say("多久发货"))[0].text.startswith("今天下单，明天发货。")
    undone = (await chat.say("/kb undo"))[0].text
    assert undone.startswith("Undid your change to shipping-time; restored:")
    assert SHIPPING in undone and "明天发货" not in undone
    assert SHIPPING in (await customer.say("多久发货"))[0].text
    entry = bot.store.staff.recent_audit()[0]
    assert entry.action == "kb.undo" and "明天发货" in str(entry.before)
    assert "明天发货" not in str(entry.after)
    assert "no knowledge-base change left" in (await chat.say("/知识库 撤销"))[0].text


async def test_undo_of_a_new_faq_switches_it_off(bot: Bot) -> None:
    chat = editor(bot)
    await chat.say("/kb add Do you sell tea bags? | Yes, in boxes of 20.")
    customer = Chat(bot, user_id="bagger")
    assert (await customer.say("Do you sell tea bags?"))[0].text.startswith("Yes, in boxes")
    undone = (await chat.say("/kb undo"))[0].text
    assert undone.startswith("Undid your change to staff-0001: it was new, so it is switched off")
    assert not (await customer.say("Do you sell tea bags?"))[0].text.startswith("Yes, in boxes")


async def test_undo_never_loses_someone_elses_later_change(
    make_config: Callable[..., Config],
) -> None:
    english = {"role": "editor", "language": "en"}
    config = staff_config(make_config, staff={"members": {
        "console:editor": english, "console:editor2": english,
        "console:agent": {"role": "agent", "language": "en"}}})
    bot = await started(config)
    try:
        await editor(bot).say("/kb answer shipping-time 今天下单，明天发货。")
        await editor(bot, "editor2").say("/kb answer shipping-time 下单后两天内发货。")
        refused = (await editor(bot).say("/kb undo"))[0].text
        assert refused.startswith("Nothing undone:") and "console:editor2" in refused
        assert bot.store.kb.get("shipping-time").answers["zh-Hans"] == (  # type: ignore[union-attr]
            "下单后两天内发货。"
        )
        assert "is not for your role" in (await editor(bot, "agent").say("/kb undo"))[0].text
        assert "is not for your role" in (
            await editor(bot, "agent").say("/kb unanswered")
        )[0].text
    finally:
        await stop(bot)


@pytest.mark.parametrize(
    ("command", "usage"),
    [("/kb undo everything", "/kb undo"), ("/kb unanswered 0", "/kb unanswered [count]"),
     ("/kb unanswered 51", "/kb unanswered [count]"), ("/kb attach 1", "/kb attach <question id>"),
     ("/kb attach one shipping-time", "/kb attach <question id>")],
)
async def test_wrong_review_arguments_get_the_usage_line(
    bot: Bot, command: str, usage: str
) -> None:
    assert (await editor(bot).say(command))[0].text.startswith(f"Usage: {usage}")
