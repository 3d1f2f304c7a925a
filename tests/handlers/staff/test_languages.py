"""Staff read the bot's own texts in Chinese or English: the language set for them in
[staff.members], else the one the bot knows them by; every text is in knowledge_base/staff.toml
in both languages, and every command's usage line in Chinese too."""

from __future__ import annotations

import re
import tomllib
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app import Bot
from bot.config import Config
from bot.core.errors import ConfigError
from handlers import COMMANDS
from tests.conftest import ROOT
from tests.helpers.chat import Chat
from tests.helpers.staff import staff_config, started, stop

CATALOGUE = tomllib.loads((ROOT / "knowledge_base" / "staff.toml").read_text(encoding="utf-8"))
MEMBERS = {
    "console:chen": "admin",  # no language: the one the bot knows them by (zh-Hans here)
    "console:anna": {"role": "admin", "language": "en"},
    "console:li": {"role": "agent", "language": "zh-Hans"},
}


@pytest.fixture
async def bot(make_config: Callable[..., Config]) -> AsyncIterator[Bot]:
    instance = await started(staff_config(make_config, staff={"members": MEMBERS}))
    yield instance
    await stop(instance)


def staff(bot: Bot, name: str) -> Chat:
    return Chat(bot, platform="console", user_id=name)


async def test_a_chinese_speaking_admin_reads_help_usage_and_refusals_in_chinese(
    bot: Bot,
) -> None:
    [help_text] = await staff(bot, "chen").say("/help")
    lines = help_text.text.splitlines()
    assert lines[0] == "你是 console:chen（admin）。"
    assert "/grant <客户> <积分> <原因>（加积分）— 加积分（大额：先试运行，再 /confirm）" in lines
    [usage] = await staff(bot, "chen").say("/block")
    assert usage.text == "用法：/block <客户>（屏蔽）— 不再回复他/她"
    [refused] = await staff(bot, "li").say("/stats")
    assert refused.text.startswith("/stats 不在你的权限内（你是 agent，需要 admin）。\n你可以用：")
    [nobody] = await staff(bot, "chen").say("/who telegram:404")
    assert nobody.text == "没有客户 telegram:404。"


async def test_a_member_set_to_english_reads_english_whatever_they_type(bot: Bot) -> None:
    anna = staff(bot, "anna")
    await anna.say("你好")  # the bot now knows her as a Chinese speaker ...
    [help_text] = await anna.say("/help")
    assert help_text.text.splitlines()[0] == "You are console:anna (admin)."  # ... but not here
    assert "/grant <customer> <points> <reason> — add points (big grants: dry run, /confirm)" in (
        help_text.text
    )
    [queue] = await anna.say("/handoffs")
    assert queue.text == "Nobody is waiting."


async def test_the_same_command_answers_each_in_their_language(bot: Bot) -> None:
    await Chat(bot, user_id="buyer").say("多久发货")
    [chinese] = await staff(bot, "chen").say("/kb unanswered")
    [english] = await staff(bot, "anna").say("/kb unanswered")
    assert (chinese.text, english.text) == ("待处理队列是空的。", "The review queue is empty.")


def test_a_member_table_is_checked(make_config: Callable[..., Config]) -> None:
    with pytest.raises(ConfigError) as raised:
        staff_config(make_config, staff={"members": {
            "console:x": {"role": "boss"}, "console:y": {"role": "agent", "language": "fr"},
            "console:z": {"language": "en"},
        }})
    problems = "\n".join(raised.value.problems)
    assert "staff.members.console:x.role: must be one of agent, editor, admin" in problems
    assert "staff.members.console:y.language: must be one of zh-Hans, zh-Hant, en" in problems
    assert "staff.members.console:z.role" in problems


def test_every_staff_text_is_in_both_languages() -> None:
    for key, texts in CATALOGUE.items():
        expected = {"zh-Hans"} if key.startswith("usage_") else {"zh-Hans", "en"}
        assert set(texts) == expected, key


def test_every_command_has_a_chinese_usage_line_and_no_line_is_stale() -> None:
    names = {"usage_" + name.replace(" ", "_") for name in COMMANDS.commands}
    usages = {key for key in CATALOGUE if key.startswith("usage_")}
    assert usages == names
    for name, command in COMMANDS.commands.items():
        chinese = CATALOGUE["usage_" + name.replace(" ", "_")]["zh-Hans"]
        assert chinese.startswith(f"/{name}"), name
        assert all(f"（{alias}）" in chinese or f"（{name.split()[0]} {alias}）" in chinese
                   or f"（知识库 {alias}）" in chinese for alias in command.aliases), name


def test_every_staff_text_the_code_asks_for_exists() -> None:
    sources = [*(ROOT / "handlers").rglob("*.py"), *(ROOT / "bot").rglob("*.py")]
    asked = {
        key for path in sources
        for key in re.findall(r"""(?:staff_text|texts\.get)\(\s*f?"(staff_\w+)""",
                              path.read_text(encoding="utf-8"))
    }
    assert len(asked) > 40
    # Keys built with f-strings name their stem; each stem must start some keys.
    missing = [key for key in asked if key not in CATALOGUE
               and not any(other.startswith(key) for other in CATALOGUE)]
    assert not missing


async def test_operations_answers_are_in_the_admins_language(bot: Bot) -> None:
    chen, anna = staff(bot, "chen"), staff(bot, "anna")
    [zh] = await chen.say("/stats")
    assert zh.text.splitlines()[0].startswith("自 ") and "客户：新增" in zh.text
    assert "发件箱：" in zh.text and "customers:" not in zh.text
    [en] = await anna.say("/stats")
    assert en.text.startswith("Since ") and "customers:" in en.text
    [outbox] = await chen.say("/outbox retry 999")
    assert outbox.text == "#999 不是发送失败的消息（见 /outbox）。"
    [dry_run] = await chen.say("/broadcast all 新茶上市")
    assert dry_run.text.startswith("试运行，尚未发送：") and "/confirm" in dry_run.text
    [unknown] = await anna.say("/broadcast status 77")
    assert unknown.text == "No such broadcast."
