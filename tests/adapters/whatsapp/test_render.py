"""WhatsApp replies as Cloud API bodies, and how Graph API answers are classified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.whatsapp.api import classify_graph, window_open
from bot.adapters.whatsapp.render import render_reply
from bot.core.adapter import SendStatus
from bot.core.message import Button, Reply

LI = "8613800138000"


def buttons(count: int, title: str = "Option") -> tuple[Button, ...]:
    return tuple(Button(f"faq:item-{index}", f"{title} {index}") for index in range(count))


def test_plain_text_is_one_text_message() -> None:
    assert render_reply(LI, Reply("你好")) == [{
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": LI,
        "type": "text", "text": {"body": "你好", "preview_url": False},
    }]


def test_long_text_is_split_under_4096() -> None:
    text = "\n".join(f"line {index} " + "茶" * 90 for index in range(120))
    bodies = render_reply(LI, Reply(text))
    assert len(bodies) > 1
    assert all(len(body["text"]["body"]) <= 4096 for body in bodies)
    assert "\n".join(body["text"]["body"] for body in bodies) == text


def test_up_to_three_buttons_are_reply_buttons_with_short_unique_titles() -> None:
    choices = (Button("faq:a", "How long does delivery take to Beijing?"),
               Button("faq:b", "How long does delivery take to Shanghai?"),
               Button("handoff", "Talk to a person"))
    [body] = render_reply(LI, Reply("Did you mean one of these?", choices))
    interactive = body["interactive"]
    assert interactive["type"] == "button"
    assert interactive["body"]["text"] == "Did you mean one of these?"
    replies = [item["reply"] for item in interactive["action"]["buttons"]]
    assert [reply["id"] for reply in replies] == ["faq:a", "faq:b", "handoff"]
    titles = [reply["title"] for reply in replies]
    assert all(len(title) <= 20 for title in titles) and len(set(titles)) == 3


@pytest.mark.parametrize(("text", "label"), [("你想问哪个？", "选择"), ("Which one?", "Choose"),
                                             ("你想問哪個？", "選擇")])
def test_four_to_ten_buttons_are_a_list(text: str, label: str) -> None:
    long_title = "What is the difference between Longjing grades and harvest dates"
    choices = (*buttons(8), Button("faq:long", long_title), Button("handoff", "A person"))
    [body] = render_reply(LI, Reply(text, choices))
    interactive = body["interactive"]
    assert interactive["type"] == "list"
    assert interactive["action"]["button"] == label
    [section] = interactive["action"]["sections"]
    rows = section["rows"]
    assert [row["id"] for row in rows] == [button.id for button in choices]
    assert all(len(row["title"]) <= 24 for row in rows)
    assert rows[8]["description"].startswith("What is the difference") and len(
        rows[8]["description"]) <= 72
    assert "description" not in rows[0]


def test_more_than_ten_buttons_are_numbered_text() -> None:
    [body] = render_reply(LI, Reply("Pick one:", buttons(11)))
    assert body["type"] == "text"
    lines = body["text"]["body"].splitlines()
    assert lines[0] == "Pick one:" and lines[1] == "1. Option 0" and lines[11] == "11. Option 10"


def test_a_long_text_with_buttons_goes_first_as_text_then_the_buttons() -> None:
    text = "\n".join("A paragraph about brewing green tea at 80°C. " * 4 for _ in range(10))
    bodies = render_reply(LI, Reply(text, buttons(2)))
    assert [body["type"] for body in bodies] == ["text", "interactive"]
    assert len(bodies[1]["interactive"]["body"]["text"]) <= 1024


def test_images_and_links() -> None:
    reply = Reply("Our shipping rules", image_url="https://cloudleaf.example/map.png",
                  link_url="https://cloudleaf.example/shipping", link_title="Shipping details")
    image, text = render_reply(LI, reply)
    assert image["image"] == {"link": "https://cloudleaf.example/map.png"}
    assert text["text"] == {
        "body": "Our shipping rules\nShipping details: https://cloudleaf.example/shipping",
        "preview_url": True,
    }


def test_a_business_scoped_user_id_is_sent_as_recipient() -> None:
    [body] = render_reply("HK.8890123312200017", Reply("hi"))
    assert body["recipient"] == "HK.8890123312200017" and "to" not in body


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.lists(st.sampled_from(["", " ", "x", "x 2", "x 3"])
                                       | st.text(max_size=40), max_size=14))
def test_every_rendering_respects_the_limits(text: str, titles: list[str]) -> None:
    choices = tuple(Button(f"id{index}", title) for index, title in enumerate(titles))
    for body in render_reply(LI, Reply(text, choices)):
        if body["type"] == "text":
            assert 0 < len(body["text"]["body"]) <= 4096
        elif body["type"] == "interactive":
            interactive: dict[str, Any] = body["interactive"]
            assert 0 < len(interactive["body"]["text"].strip()) <= 1024
            if interactive["type"] == "button":
                found = [item["reply"]["title"] for item in interactive["action"]["buttons"]]
                assert len(found) <= 3 and len(set(found)) == len(found)
                assert all(0 < len(title) <= 20 for title in found)
            else:
                rows = interactive["action"]["sections"][0]["rows"]
                assert 4 <= len(rows) <= 10
                assert all(0 < len(row["title"]) <= 24 for row in rows)
                assert all(len(row.get("description", "")) <= 72 for row in rows)


def graph_error(code: int) -> dict[str, Any]:
    return {"error": {"message": f"error {code}", "code": code,
                      "error_data": {"details": "details here"}}}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"messages": [{"id": "wamid.out.7"}]}, SendStatus.SENT),
        (400, graph_error(130429), SendStatus.RETRY),
        (400, graph_error(131056), SendStatus.RETRY),
        (429, {}, SendStatus.RETRY),
        (500, graph_error(1), SendStatus.RETRY),
        (503, "<html>unavailable</html>", SendStatus.RETRY),
        (400, graph_error(131047), SendStatus.UNDELIVERABLE),
        (400, graph_error(100), SendStatus.FAILED),
        (401, graph_error(190), SendStatus.FAILED),
    ],
)
def test_graph_answers_are_classified(status: int, body: Any, expected: SendStatus) -> None:
    result = classify_graph(status, {}, body)
    assert result.status is expected
    if expected is SendStatus.SENT:
        assert result.platform_message_id == "wamid.out.7"
    elif isinstance(body, dict) and "error" in body:
        assert f"error {body['error']['code']} (details here)" in result.error


@settings(max_examples=200, deadline=None)
@given(st.integers(100, 599), st.recursive(
    st.none() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["error", "code", "message", "error_data", "details",
                                       "messages", "id"]), children, max_size=4),
    max_leaves=12,
))
def test_any_graph_answer_is_classified(status: int, body: Any) -> None:
    assert isinstance(classify_graph(status, {}, body).status, SendStatus)


def test_retry_after_is_honoured() -> None:
    assert classify_graph(429, {"Retry-After": "7"}, {}).retry_after == 7.0


def test_the_window_is_24_hours() -> None:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert window_open(now - timedelta(hours=23, minutes=59), now)
    assert not window_open(now - timedelta(hours=24), now)
    assert not window_open(None, now)
