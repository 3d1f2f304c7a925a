"""Order lookup conversations on the sample orders (samples/orders.csv, the store source)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.clock import FixedClock, iso
from bot.core.message import Event, Message, MessageKind, Reply
from bot.runtime.context import Context
from tests.helpers.chat import Chat

ASK_NUMBER = "请把订单号发给我"
ASK_FACTOR = "请回复下单手机号的后 4 位"
NOT_FOUND = "没有找到与这个订单号和验证信息都相符的订单"
FULL_FACTOR = "现在需要完整的下单手机号"
# CL2611180001: shipped, SF1402345678901, phone 13812345678, 浙江省杭州市 西湖区龙井路 …


def customer_id(bot: Bot, chat: Chat) -> str:
    customer = bot.store.customers.find(chat.platform, chat.user_id)
    assert customer is not None
    return customer.id


def assert_shows_shipped_order(reply: Reply) -> None:
    assert "CL2611180001" in reply.text
    assert "已发货" in reply.text
    assert "西湖龙井" in reply.text and "青瓷盖碗" in reply.text
    assert "¥298.00" in reply.text
    assert "顺丰速运" in reply.text and "SF1402345678901" in reply.text
    assert "2026-11-25" in reply.text
    assert "138****5678" in reply.text and "浙江省杭州市" in reply.text
    assert "13812345678" not in reply.text and "龙井路" not in reply.text  # masked
    assert "orders.lookup" in [button.id for button in reply.buttons]


async def test_lookup_with_the_number_in_the_first_message(chat: Chat) -> None:
    [ask] = await chat.say("我的快递到哪了？CL2611180001")
    assert ASK_FACTOR in ask.text
    [found] = await chat.say("5678")
    assert_shows_shipped_order(found)


async def test_lookup_without_the_number_asks_for_it(chat: Chat) -> None:
    [ask] = await chat.say("我的快递到哪了")
    assert ASK_NUMBER in ask.text
    [factor] = await chat.say("cl2611180001")  # any case
    assert ASK_FACTOR in factor.text
    [found] = await chat.say("5678")
    assert_shows_shipped_order(found)


async def test_order_command_menu_click_and_button_start_a_lookup(chat: Chat) -> None:
    [command] = await chat.send(chat.message("/order", kind=MessageKind.COMMAND))
    assert ASK_NUMBER in command.text
    [menu] = await chat.event(Event.MENU_CLICK, "orders.lookup")
    assert ASK_NUMBER in menu.text
    [button] = await chat.press("orders.lookup")
    assert ASK_NUMBER in button.text
    [with_number] = await chat.send(
        chat.message("/order CL2611180001", kind=MessageKind.COMMAND)
    )
    assert ASK_FACTOR in with_number.text


async def test_a_verified_order_needs_no_second_factor_next_time(chat: Chat) -> None:
    await chat.say("CL2611180001")
    await chat.say("5678")
    [again] = await chat.say("CL2611180001 到哪了")
    assert_shows_shipped_order(again)


async def test_email_and_full_phone_also_prove_ownership(bot: Bot) -> None:
    by_email = Chat(bot, user_id="mei")
    await by_email.say("CL2611100003")
    [found] = await by_email.say("Mei.Lin@example.com")
    assert "CL2611100003" in found.text and "m***@example.com" in found.text
    by_phone = Chat(bot, user_id="phone")
    await by_phone.say("CL2611180001")
    [found] = await by_phone.say("+86 138 1234 5678")
    assert "SF1402345678901" in found.text


async def test_a_linked_phone_shows_orders_at_once_and_lists_them(bot: Bot, chat: Chat) -> None:
    await chat.say("你好")
    bot.store.orders.access.link_phone(customer_id(bot, chat), "+86 13812345678", bot.clock.now())
    [found] = await chat.say("CL2611180001")
    assert_shows_shipped_order(found)
    [listing] = await chat.say("我的订单")
    assert "CL2611180001" in listing.text and "CL2610280004" in listing.text
    assert "已退款" in listing.text
    assert "CL2611190002" not in listing.text  # another customer's phone
    assert [b.id for b in listing.buttons][:2] == [
        "orders.lookup:CL2611180001", "orders.lookup:CL2610280004"
    ]
    [details] = await chat.press("orders.lookup:CL2610280004")
    assert "CL2610280004" in details.text and "已退款" in details.text


async def test_my_orders_before_any_verification_asks_for_a_number(chat: Chat) -> None:
    [reply] = await chat.say("我的订单")
    assert "还不能确认哪些订单属于你" in reply.text
    [factor] = await chat.say("CL2611190002")
    assert ASK_FACTOR in factor.text
    await chat.say("4321")
    [listing] = await chat.say("my orders")
    assert "CL2611190002" in listing.text and "paid" in listing.text


async def test_someone_elses_order_gets_the_same_reply_as_a_missing_one(bot: Bot) -> None:
    stranger = Chat(bot, user_id="stranger")
    [ask_real] = await stranger.say("CL2611190002")  # exists; phone ends in 4321
    [wrong] = await stranger.say("5678")
    prober = Chat(bot, user_id="prober")
    [ask_missing] = await prober.say("CL2699999999")  # no such order
    [missing] = await prober.say("5678")
    assert ask_real == ask_missing
    assert wrong == missing
    assert NOT_FOUND in wrong.text
    assert "CL2611190002" not in wrong.text and "356" not in wrong.text


async def test_five_wrong_answers_pause_lookups(bot: Bot, chat: Chat) -> None:
    await chat.say("CL2611180001")
    replies = [(await chat.say(f"000{attempt}"))[0] for attempt in range(5)]
    assert all(NOT_FOUND in reply.text for reply in replies[:4])
    assert "订单查询会暂停约 60 分钟" in replies[4].text
    [still_paused] = await chat.say("CL2611180001")
    assert "暂停" in still_paused.text
    [right_answer_too_late] = await chat.say("5678")
    assert "SF1402345678901" not in right_answer_too_late.text
    [paused] = bot.store.orders.attempts.paused(bot.clock.now())
    assert paused["customer_id"] == customer_id(bot, chat) and paused["failures"] == 5


async def test_guessing_from_many_identities_asks_for_the_whole_phone(bot: Bot) -> None:
    # Web chat ids are chosen by the browser: a guesser can be a new customer every time.
    for attempt in range(5):
        guesser = Chat(bot, user_id=f"guesser-{attempt}")
        await guesser.say("CL2611180001")
        [wrong] = await guesser.say(f"000{attempt}")
        assert NOT_FOUND in wrong.text
    lucky = Chat(bot, user_id="guesser-lucky")
    await lucky.say("CL2611180001")
    [right_digits] = await lucky.say("5678")  # the real last four, no longer enough
    assert FULL_FACTOR in right_digits.text and "SF1402345678901" not in right_digits.text
    # The owner knows the whole number and still gets in.
    [shown] = await lucky.say("138 1234 5678")
    assert "SF1402345678901" in shown.text
    # An hour later the guessing has lapsed (the failures are dated back instead of moving time).
    an_hour_ago = iso(bot.clock.now() - timedelta(minutes=61))
    bot.store.db.execute("UPDATE order_lookup_failures SET created_at = ?", [an_hour_ago])
    owner = Chat(bot, user_id="owner-later")
    await owner.say("CL2611180001")
    [shown] = await owner.say("5678")
    assert "SF1402345678901" in shown.text


async def test_cancel_leaves_the_flow(bot: Bot, chat: Chat) -> None:
    await chat.say("查订单")
    [cancelled] = await chat.say("取消")
    assert "已经退出订单查询" in cancelled.text
    assert bot.store.states.get(customer_id(bot, chat), bot.clock.now()) is None
    [after] = await chat.say("CL2611180001")
    assert ASK_FACTOR in after.text
    [english] = await chat.say("cancel")
    assert "stopped the order lookup" in english.text


async def test_a_question_during_the_flow_is_still_answered(bot: Bot, chat: Chat) -> None:
    await chat.say("查订单")
    [faq] = await chat.say("多久发货")
    assert "16:00" in faq.text
    [factor] = await chat.say("CL2611180001")
    assert ASK_FACTOR in factor.text


async def test_a_wrongly_shaped_number_is_asked_again(chat: Chat) -> None:
    await chat.say("查订单")
    [again] = await chat.say("12345678")
    assert "不像我们的订单号" in again.text


async def test_the_answer_is_in_english_and_traditional_chinese(bot: Bot) -> None:
    english = Chat(bot, user_id="en")
    [ask] = await english.say("where is my parcel? CL2611180001")
    assert "last 4 digits" in ask.text
    [found] = await english.say("5678")
    assert "shipped, on its way" in found.text and "Expected delivery: 2026-11-25" in found.text
    traditional = Chat(bot, user_id="hant")
    await traditional.say("我的包裹到哪裡了")
    await traditional.say("CL2611180001")
    [found] = await traditional.say("5678")
    assert "已發貨" in found.text


async def test_talk_to_a_person_is_offered_when_handoff_exists(bot: Bot, chat: Chat) -> None:
    async def handoff(message: Message, ctx: Context) -> list[Reply]:
        return [Reply(text="a person will answer")]

    bot.pipeline.actions["handoff.request"] = handoff
    await chat.say("CL2611180001")
    [found] = await chat.say("5678")
    assert [button.id for button in found.buttons] == ["orders.lookup", "handoff"]


@pytest.fixture
async def clocked(make_config: Callable[..., Config]) -> AsyncIterator[tuple[Bot, FixedClock]]:
    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    bot = build_bot(make_config(), clock=clock)
    await bot.start()
    yield bot, clock
    await bot.stop()


async def test_the_flow_expires(clocked: tuple[Bot, FixedClock]) -> None:
    bot, clock = clocked
    chat = Chat(bot)
    await chat.say("CL2611180001")
    clock.advance(minutes=11)
    [later] = await chat.say("5678")
    assert "SF1402345678901" not in later.text and NOT_FOUND not in later.text


async def test_the_pause_ends(clocked: tuple[Bot, FixedClock]) -> None:
    bot, clock = clocked
    chat = Chat(bot)
    await chat.say("CL2611180001")
    for attempt in range(5):
        await chat.say(f"111{attempt}")
    clock.advance(minutes=61)
    await chat.say("CL2611180001")
    [found] = await chat.say("5678")
    assert "SF1402345678901" in found.text


async def test_sample_orders_load_once(bot: Bot, make_config: Callable[..., Config]) -> None:
    assert bot.store.orders.count() == 6
    bot.store.db.execute("DELETE FROM orders")
    again = build_bot(make_config(), store=bot.store)
    assert again.store.orders.count() == 0  # an operator emptied it: not refilled
