"""Replies as Bot API calls: plain text split at 4096, buttons as inline keyboards."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.adapters.text import split_text, utf16_length
from bot.core.adapter import OutboundRequest
from bot.core.message import Reply

NAME = "telegram"
MAX_TEXT = 4096  # UTF-16 code units after entity parsing (docs/platforms.md §2.5)
MAX_BUTTON_TEXT = 64


def chat_value(chat_id: str) -> int | str:
    """A chat id as the API shows it: an integer when it is one, else the @channel name."""
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def is_group_chat(chat_id: str) -> bool:
    """Group and supergroup ids are negative; private chats are the user's positive id."""
    return chat_id.startswith("-")


def thread_of(update: Mapping[str, Any]) -> int | None:
    """The forum topic a message was written in (docs/platforms.md §2.8), if any: answers
    must name it, or they land in the group's General topic."""
    message = update.get("message") or update.get("edited_message")
    query = update.get("callback_query")
    if message is None and isinstance(query, dict):
        message = query.get("message")
    if not isinstance(message, dict) or message.get("is_topic_message") is not True:
        return None
    thread = message.get("message_thread_id")
    return thread if isinstance(thread, int) and not isinstance(thread, bool) else None


def render_replies(
    chat_id: str, replies: Sequence[Reply], *, user_id: str, reply_to: int | None,
    callback_data: Callable[[str], str], thread: int | None = None,
) -> list[OutboundRequest]:
    """sendPhoto/sendMessage calls for `replies`, in order (in the forum topic `thread`).

    Text goes without parse_mode: the API then shows it exactly as written, so customer
    or knowledge-base text with `_*[<&` can never make it refuse the message.
    """
    is_group = is_group_chat(chat_id)
    requests: list[OutboundRequest] = []

    def add(method: str, body: dict[str, Any]) -> None:
        if thread is not None:
            body["message_thread_id"] = thread
        if reply_to is not None and not requests:
            body["reply_parameters"] = {
                "message_id": reply_to, "allow_sending_without_reply": True,
            }
        requests.append(
            OutboundRequest(
                NAME, chat_id, method, {"chat_id": chat_value(chat_id), **body},
                user_id="" if is_group else user_id, is_group=is_group,
            )
        )

    for reply in replies:
        if reply.image_url:
            add("/sendPhoto", {"photo": reply.image_url})
        keyboard = _keyboard(reply, callback_data)
        parts = split_text(reply.text, MAX_TEXT, utf16_length) if reply.text.strip() else []
        if not parts and keyboard:
            parts = [reply.link_title or "…"]  # the API refuses a keyboard without text
        for index, part in enumerate(parts):
            body: dict[str, Any] = {"text": part}
            if keyboard and index == len(parts) - 1:
                body["reply_markup"] = {"inline_keyboard": keyboard}
            add("/sendMessage", body)
    return requests


def _keyboard(
    reply: Reply, callback_data: Callable[[str], str]
) -> list[list[dict[str, str]]]:
    """One button a row (titles stay readable on phones); the link as a URL button."""
    rows = [
        [{"text": _title(button.title or button.id), "callback_data": callback_data(button.id)}]
        for button in reply.buttons
    ]
    if reply.link_url:
        rows.append([{"text": _title(reply.link_title or reply.link_url), "url": reply.link_url}])
    return rows


def _title(text: str) -> str:
    return text if len(text) <= MAX_BUTTON_TEXT else text[: MAX_BUTTON_TEXT - 1] + "…"


def answer_callback(chat_id: str, user_id: str, query_id: str) -> OutboundRequest:
    """answerCallbackQuery, so the pressed button stops spinning."""
    return OutboundRequest(
        NAME, chat_id, "/answerCallbackQuery", {"callback_query_id": query_id},
        user_id="" if is_group_chat(chat_id) else user_id, is_group=is_group_chat(chat_id),
    )
