"""Staff commands: no power for customers, roles, strict parsing, private chats, KB, audit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.app import Bot
from bot.config import Config
from bot.core.errors import ConfigError
from tests.helpers.chat import Chat
from tests.helpers.staff import staff_config, started, stop

FALLBACK_EN = "Sorry, I didn't quite catch that"


@pytest.fixture
def config(make_config: Callable[..., Config]) -> Config:
    return staff_config(make_config)


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[Bot]:
    instance = await started(config)
    yield instance
    await stop(instance)


def staff(bot: Bot, name: str) -> Chat:
    return Chat(bot, platform="console", user_id=name)


async def test_a_customer_typing_staff_commands_gets_an_ordinary_answer(bot: Bot) -> None:
    customer = Chat(bot, user_id="nosy")
    other = Chat(bot, user_id="victim")
    await other.say("多久发货")
    victim = bot.store.customers.find("web", "victim")
    assert victim is not None
    before = len(bot.store.kb.all())
    ordinary = {reply.text for reply in await Chat(bot, user_id="plain").say("/stats")}
    for command in ("/stats", f"/block {victim.id}", "/kb add hack | hacked", "/audit",
                    "/broadcast all buy now", "/help", "/take 1"):
        replies = await customer.say(command)
        assert len(replies) == 1
        text = replies[0].text
        assert not any(word in text for word in ("Usage", "role", "/confirm", "Since", "#"))
    # The same command from a customer and from a console user who is not listed: same answer.
    stranger = await staff(bot, "stranger").say("/stats")
    assert {reply.text for reply in stranger} == ordinary
    assert bot.store.customers.get(victim.id).blocked is False  # type: ignore[union-attr]
    assert len(bot.store.kb.all()) == before
    assert bot.store.staff.recent_audit() == []


@pytest.mark.parametrize(
    ("name", "refused", "allowed"),
    [
        ("agent", ["/kb show shipping-time", "/stats", "/outbox", "/broadcast all hi",
                   "/block c1", "/audit"], ["/handoffs", "/who web:nobody", "/help"]),
        ("editor", ["/stats", "/outbox", "/broadcast all hi", "/block c1", "/unblock c1",
                    "/audit"], ["/kb show shipping-time", "/handoffs"]),
        ("admin", [], ["/stats", "/outbox", "/audit", "/kb show shipping-time", "/handoffs"]),
    ],
)
async def test_each_role_is_refused_the_commands_above_it(
    bot: Bot, name: str, refused: list[str], allowed: list[str]
) -> None:
    chat = staff(bot, name)
    for command in refused:
        replies = await chat.say(command)
        text = replies[0].text
        assert "is not for your role" in text, command
        assert "/help" in text and "/handoffs" in text  # the usage of what they may do
        if name == "agent":
            assert "/kb" not in text.split("You may use:")[1]
    for command in allowed:
        replies = await chat.say(command)
        assert "is not for your role" not in replies[0].text, command
        assert FALLBACK_EN not in replies[0].text
    assert bot.store.staff.recent_audit() == []


async def test_the_agent_is_refused_the_whole_kb_group_with_its_usage(bot: Bot) -> None:
    replies = await staff(bot, "agent").say("/kb")
    assert "needs editor" in replies[0].text
    editor = await staff(bot, "editor").say("/kb")
    assert editor[0].text.startswith("Usage:") and "/kb add" in editor[0].text


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("/take abc", "/take <conversation>"),
        ("/take", "/take <conversation>"),
        ("/stats 3d", "/stats [today|7d|30d]"),
        ("/stats today extra", "/stats [today|7d|30d]"),
        ("/block", "/block <customer>"),
        ("/block a b", "/block <customer>"),
        ("/kb add only a question", "/kb add <question> | <answer>"),
        ("/kb add | an answer", "/kb add <question> | <answer>"),
        ("/kb phrase no-such-faq hello", "/kb phrase <id> <question>"),
        ("/kb answer shipping-time", "/kb answer <id> <text>"),
        ("/kb off", "/kb off <id>"),
        ("/audit 0", "/audit [count]"),
        ("/audit many", "/audit [count]"),
        ("/broadcast all", "/broadcast <all|platform:NAME> <text>"),
        ("/broadcast platform:nowhere hello", "/broadcast <all|platform:NAME> <text>"),
        ("/broadcast everyone hello", "/broadcast <all|platform:NAME> <text>"),
        ("/confirm", "/confirm <code>"),
        ("/help me", "/help"),
        ("/outbox now", "/outbox"),
    ],
)
async def test_a_wrong_argument_gets_the_usage_line(bot: Bot, command: str, usage: str) -> None:
    replies = await staff(bot, "admin").say(command)
    assert replies[0].text.startswith(f"Usage: {usage}"), replies[0].text
    assert bot.store.staff.recent_audit() == []


async def test_admin_commands_work_only_in_private_chats(bot: Bot) -> None:
    admin = staff(bot, "admin")
    # A group that is not the staff chat: the command is an ordinary message.
    group = await admin.send(admin.message("/stats", chat_id="-100group", is_private=False))
    assert not group[0].text.startswith("Since") and "private" not in group[0].text
    # The staff chat as a group: agent-level commands work there, admin ones do not.
    room = Chat(bot, platform="console", user_id="admin")
    refused = await room.send(room.message("/stats", chat_id="agent", is_private=False))
    assert "only in a private chat" in refused[0].text
    allowed = await room.send(room.message("/handoffs", chat_id="agent", is_private=False))
    assert "Nobody is waiting" in allowed[0].text


async def test_chinese_aliases_run_the_same_commands(bot: Bot) -> None:
    admin = staff(bot, "admin")
    stats = await admin.say("/统计 7天")
    assert stats[0].text.startswith("Since") and "(7d," in stats[0].text
    shown = await admin.say("/知识库 看 shipping-time")
    assert shown[0].text.startswith("shipping-time")
    mixed = await admin.say("/kb 测试 多久发货")
    assert "outcome: answer shipping-time" in mixed[0].text


async def test_kb_add_then_a_customer_gets_the_new_answer(bot: Bot) -> None:
    customer = Chat(bot, user_id="tea-lover")
    question = "你们的茶叶可以寄到南极科考站吗"
    assert "南极" not in (await customer.say(question))[0].text
    answer = "可以的，南极科考站也包邮，约 60 天送达。"
    added = await staff(bot, "editor").say(f"/kb add {question} | {answer}")
    assert added[0].text.startswith("Added staff-0001 [zh-Hans]")
    replies = await customer.say(question)
    assert replies[0].text.startswith(answer)
    faq = bot.store.kb.get("staff-0001")
    assert faq is not None and dict(faq.answers) == {"zh-Hans": answer}
    [entry] = bot.store.staff.recent_audit()
    assert (entry.staff, entry.role, entry.action, entry.target) == (
        "console:editor", "editor", "kb.add", "staff-0001",
    )
    assert entry.before is None and entry.after["answer"]["zh-Hans"].startswith("可以的")


async def test_kb_add_in_english_stores_the_answer_in_english(bot: Bot) -> None:
    await staff(bot, "editor").say("/kb add Can you ship to Antarctica? | Yes, in about 60 days.")
    faq = bot.store.kb.get("staff-0001")
    assert faq is not None
    assert dict(faq.questions) == {"en": ("Can you ship to Antarctica?",)}
    replies = await Chat(bot, user_id="explorer").say("Can you ship to Antarctica?")
    assert replies[0].text.startswith("Yes, in about 60 days.")


async def test_kb_phrase_answer_off_and_on_change_what_customers_get(bot: Bot) -> None:
    editor = staff(bot, "editor")
    customer = Chat(bot, user_id="asker")
    odd = "茶叶什么时候能离开仓库呀"
    assert "16:00" not in (await customer.say(odd))[0].text
    await editor.say(f"/kb phrase shipping-time {odd}")
    assert "16:00" in (await customer.say(odd))[0].text
    await editor.say("/kb answer shipping-time 今天下单，明天发货。")
    assert (await customer.say("多久发货"))[0].text.startswith("今天下单，明天发货。")
    await editor.say("/kb off shipping-time")
    assert (await customer.say("多久发货"))[0].text != "今天下单，明天发货。"
    found = await editor.say("/kb find 明天发货")
    assert "shipping-time" in found[0].text and "(off)" in found[0].text
    await editor.say("/kb on shipping-time")
    assert (await customer.say("多久发货"))[0].text.startswith("今天下单，明天发货。")
    actions = [entry.action for entry in bot.store.staff.recent_audit()]
    assert actions == ["kb.on", "kb.off", "kb.answer", "kb.phrase"]


async def test_kb_test_shows_scores_and_outcome(bot: Bot) -> None:
    replies = await staff(bot, "editor").say("/kb test qwzx plomf vrrk")
    assert "outcome: fallback" in replies[0].text
    # Two words that are nobody's phrasing: customers are asked what they mean.
    replies = await staff(bot, "editor").say("/kb test qwzx plomf")
    assert "outcome: clarify" in replies[0].text
    replies = await staff(bot, "editor").say("/kb test 谢谢啦")
    assert "outcome: small talk small-talk.thanks" in replies[0].text
    replies = await staff(bot, "editor").say("/kb test 多久发货")
    assert "1. shipping-time 1.000" in replies[0].text
    assert "outcome: answer shipping-time" in replies[0].text
    # Two FAQs within the answer margin: customers are asked "did you mean", so staff see that.
    replies = await staff(bot, "editor").say("/kb test 积分兑换和过期")
    assert "rewards-catalogue" in replies[0].text and "points-expiry" in replies[0].text
    assert "outcome: did you mean (answer ≥ 0.52, margin ≥ 0.05" in replies[0].text


async def test_block_and_unblock_write_audit_rows_and_silence_the_customer(bot: Bot) -> None:
    customer = Chat(bot, user_id="rude")
    await customer.say("多久发货")
    found = bot.store.customers.find("web", "rude")
    assert found is not None
    admin = staff(bot, "admin")
    assert (await admin.say("/block web:rude"))[0].text == f"{found.id} is now blocked."
    assert await customer.say("多久发货") == []
    assert "already blocked" in (await admin.say(f"/block {found.id}"))[0].text
    await admin.say(f"/屏蔽 {found.id}")
    await admin.say(f"/unblock {found.id}")
    assert (await customer.say("多久发货"))[0].text
    entries = bot.store.staff.recent_audit()
    assert [(e.action, e.target, e.before, e.after) for e in entries] == [
        ("unblock", found.id, {"blocked": True}, {"blocked": False}),
        ("block", found.id, {"blocked": False}, {"blocked": True}),
    ]
    audit = await admin.say("/audit")
    assert "console:admin unblock" in audit[0].text and "console:admin block" in audit[0].text


async def test_who_shows_identities_and_the_last_conversation(bot: Bot) -> None:
    customer = Chat(bot, user_id="regular")
    await customer.say("多久发货")
    replies = await staff(bot, "agent").say("/查询 web:regular")
    text = replies[0].text
    assert "web:regular last wrote" in text and "> 多久发货" in text and "16:00" in text
    assert "No customer" in (await staff(bot, "agent").say("/who cnothing"))[0].text


async def test_confirm_codes_belong_to_one_admin_and_work_once(
    make_config: Callable[..., Config],
) -> None:
    english = {"language": "en"}
    config = staff_config(make_config, staff={"members": {
        "console:admin": {"role": "admin", **english},
        "console:boss": {"role": "admin", **english}, "console:agent": "agent"}})
    bot = await started(config)
    try:
        admin = staff(bot, "admin")
        dry = await admin.say("/broadcast all hello")
        code = dry[0].text.rsplit("/confirm ", 1)[1].split()[0]
        assert "No pending change" in (await staff(bot, "boss").say(f"/confirm {code}"))[0].text
        assert "No pending change" in (await admin.say("/confirm ZZZZZZ"))[0].text
        first = await admin.say(f"/confirm {code.lower()}")
        assert first[0].text.startswith("Broadcast 1 queued")
        assert "No pending change" in (await admin.say(f"/confirm {code}"))[0].text
    finally:
        await stop(bot)


@pytest.mark.parametrize(
    ("staff_table", "problem"),
    [
        ({"members": {"web:someone": "admin"}}, "web chat identities cannot be staff"),
        ({"members": {"console:x": "boss"}}, "must be one of agent, editor, admin"),
        ({"members": {"nocolon": "agent"}}, "platform:user_id"),
        ({"chat": "nochat"}, "platform:chat_id"),
        ({"colour": "red"}, "unknown setting"),
    ],
)
def test_staff_config_problems_are_reported(
    make_config: Callable[..., Config], staff_table: dict[str, object], problem: str
) -> None:
    with pytest.raises(ConfigError) as error:
        make_config(staff=staff_table)
    assert any(problem in line for line in error.value.problems), error.value.problems


def test_handoff_config_problems_are_reported(make_config: Callable[..., Config]) -> None:
    with pytest.raises(ConfigError) as error:
        make_config(handoff={"opens": "9am", "days": ["someday"], "idle_timeout_minutes": 0})
    text = "; ".join(error.value.problems)
    assert "handoff.opens" in text and "handoff.days" in text and "idle_timeout" in text
