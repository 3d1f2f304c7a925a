"""Telegram rendering, settings and the reading of Bot API answers, without a network."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.adapters.telegram.api import classify
from bot.adapters.telegram.links import deep_link
from bot.adapters.text import utf16_length
from bot.config import Config
from bot.core.adapter import InboundRequest, SendStatus
from bot.core.errors import ConfigError
from bot.core.message import Button, Message, MessageKind, Reply
from bot.store import open_store
from tests.fakes.telegram_api import SECRET, TOKEN, telegram_config
from tests.helpers.paths import FIXTURES as ALL_FIXTURES
from tests.helpers.ports import ports_of

FIXTURES = ALL_FIXTURES / "telegram"


@pytest.fixture
def adapter(make_config: Callable[..., Config], tmp_path: Path) -> TelegramAdapter:
    config = telegram_config(make_config, "http://127.0.0.1:9")
    return TelegramAdapter(
        config.platforms["telegram"], ports_of(open_store(tmp_path / "render.db"))
    )


def private_message(**fields: Any) -> Message:
    values: dict[str, Any] = {"platform": "telegram", "message_id": "1", "user_id": "42",
                              "chat_id": "42", "kind": MessageKind.TEXT, "source_id": "42:7"}
    return Message(**{**values, **fields})


def test_long_text_is_split_on_line_boundaries_with_buttons_on_the_last_part(
    adapter: TelegramAdapter,
) -> None:
    lines = [f"第 {n} 条：用 90°C 的水冲泡 *乌龙* _3_ 分钟 <好喝> & [推荐]" for n in range(200)]
    reply = Reply("\n".join(lines), buttons=(Button("faq:brew", "怎么泡茶"),))
    requests = adapter.render(private_message(), [reply], passive=False).outbound
    bodies = [request.body for request in requests]
    assert len(bodies) > 1
    assert all(utf16_length(body["text"]) <= 4096 for body in bodies)
    assert "\n".join(body["text"] for body in bodies) == reply.text
    assert [("reply_markup" in body) for body in bodies] == [False] * (len(bodies) - 1) + [True]
    assert all("parse_mode" not in body for body in bodies)


def test_a_line_longer_than_the_limit_is_cut_by_utf16_units(adapter: TelegramAdapter) -> None:
    reply = Reply("🍵" * 3000)  # 6000 UTF-16 units in one line
    bodies = [r.body for r in adapter.render(private_message(), [reply], passive=False).outbound]
    assert [utf16_length(body["text"]) for body in bodies] == [4096, 1904]
    assert "".join(body["text"] for body in bodies) == reply.text


def test_images_links_and_button_only_replies(adapter: TelegramAdapter) -> None:
    replies = [
        Reply("新茶上市", image_url="https://example.com/tea.jpg",
              link_url="https://example.com/new", link_title="去看看"),
        Reply(buttons=(Button("handoff", "找真人客服"),)),
    ]
    requests = adapter.render(private_message(), replies, passive=False).outbound
    assert [(r.path, r.body) for r in requests] == [
        ("/sendPhoto", {"chat_id": 42, "photo": "https://example.com/tea.jpg"}),
        ("/sendMessage", {"chat_id": 42, "text": "新茶上市", "reply_markup": {
            "inline_keyboard": [[{"text": "去看看", "url": "https://example.com/new"}]]}}),
        ("/sendMessage", {"chat_id": 42, "text": "…", "reply_markup": {
            "inline_keyboard": [[{"text": "找真人客服", "callback_data": "handoff"}]]}}),
    ]
    assert all(r.user_id == "42" and not r.is_group for r in requests)


def test_group_replies_thread_to_the_question_once(adapter: TelegramAdapter) -> None:
    message = private_message(chat_id="-100123", is_private=False, source_id="-100123:55")
    requests = adapter.render(message, [Reply("一"), Reply("二")], passive=False).outbound
    assert requests[0].body["reply_parameters"] == {
        "message_id": 55, "allow_sending_without_reply": True,
    }
    assert "reply_parameters" not in requests[1].body
    assert all(r.is_group and r.user_id == "" for r in requests)


def test_a_button_id_over_64_bytes_round_trips_through_a_stored_alias(
    adapter: TelegramAdapter,
) -> None:
    long_id = "reward:redeem:" + "云叶" * 20
    reply = Reply("选一个", buttons=(Button(long_id, "兑换"),))
    [request] = adapter.render(private_message(), [reply], passive=False).outbound
    data = request.body["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= 64
    update = json.loads((FIXTURES / "callback_query.json").read_text(encoding="utf-8"))
    update["callback_query"]["data"] = data
    body = json.dumps(update).encode()
    inbound = InboundRequest("POST", "/webhooks/telegram", {}, {}, body)
    [message] = adapter.parse(inbound)
    assert message.payload == long_id


def test_deep_links() -> None:
    assert deep_link("cloudleaf_bot", "ref_c1a2b3") == "https://t.me/cloudleaf_bot?start=ref_c1a2b3"
    with pytest.raises(ValueError):
        deep_link("cloudleaf_bot", "has space")


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"ok": True, "result": {"message_id": 9, "chat": {"id": 42}}},
         (SendStatus.SENT, None, False, "42:9")),
        (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
               "parameters": {"retry_after": 7}}, (SendStatus.RETRY, 7.0, False, None)),
        (502, "Bad Gateway", (SendStatus.RETRY, None, False, None)),
        (403, {"ok": False, "error_code": 403,
               "description": "Forbidden: bot was blocked by the user"},
         (SendStatus.UNDELIVERABLE, None, True, None)),
        (403, {"ok": False, "error_code": 403,
               "description": "Forbidden: bot was kicked from the supergroup chat"},
         (SendStatus.UNDELIVERABLE, None, True, None)),
        (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
         (SendStatus.FAILED, None, False, None)),
        (200, {"ok": False}, (SendStatus.FAILED, None, False, None)),
    ],
)
def test_bot_api_answers_are_classified(status: int, body: Any, expected: tuple[Any, ...]) -> None:
    result = classify(status, {}, body)
    assert (result.status, result.retry_after, result.blocked,
            result.platform_message_id) == expected


def test_settings_are_read_with_secrets_from_the_environment(
    make_config: Callable[..., Config],
) -> None:
    settings = telegram_config(make_config, "http://127.0.0.1:9").platforms["telegram"]
    assert (settings.token, settings.secret_token, settings.mode) == (TOKEN, SECRET, "webhook")
    assert TOKEN not in repr(settings) and SECRET not in repr(settings)


@pytest.mark.parametrize(
    ("table", "env", "problem"),
    [
        ({"enabled": True}, {}, "platforms.telegram.token_env"),
        ({"enabled": True, "token_env": "T"}, {"T": TOKEN}, "platforms.telegram.secret_token_env"),
        ({"enabled": True, "token_env": "T", "secret_token_env": "S"},
         {"T": TOKEN, "S": "has spaces!"}, "1-256 of A-Z"),
        ({"enabled": True, "token_env": "T", "mode": "push"}, {"T": TOKEN}, "mode"),
        ({"enabled": True, "token_env": "T", "mode": "polling", "colour": "red"}, {"T": TOKEN},
         "platforms.telegram.colour: unknown setting"),
    ],
)
def test_bad_settings_are_reported(
    make_config: Callable[..., Config], table: dict[str, Any], env: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        make_config(platforms={"telegram": table}, env=env)
    assert any(problem in line for line in raised.value.problems)


def test_polling_needs_no_secret(make_config: Callable[..., Config]) -> None:
    config = make_config(platforms={"telegram": {"enabled": True, "token_env": "T",
                                                 "mode": "polling"}}, env={"T": TOKEN})
    assert config.platforms["telegram"].secret_token == ""
