"""Replies as WhatsApp Cloud API message bodies: text, reply buttons, lists, numbered text.

Limits from Meta's interactive-message reference: body 1024, button title 20, list button
label 20, row title 24, row description 72, at most 3 buttons or 10 rows; text 4096.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.adapters.text import numbered, split_text
from bot.core.language import ENGLISH, HANT, detect_language
from bot.core.message import Button, Reply

TEXT_LIMIT = 4096
BODY_LIMIT = 1024
MAX_BUTTONS = 3
BUTTON_TITLE_LIMIT = 20
MAX_ROWS = 10
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
ID_LIMIT = 200
LIST_LABELS = {ENGLISH: "Choose", HANT: "選擇"}
LIST_LABEL_DEFAULT = "选择"
EMPTY_BODY = "👇"


def cut(text: str, limit: int) -> str:
    """`text` shortened to `limit` characters, marked with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _unique_titles(buttons: Sequence[Button], limit: int) -> list[str]:
    """Titles cut to `limit`; WhatsApp refuses two equal titles, so repeats get a number."""
    titles: list[str] = []
    for index, button in enumerate(buttons, 1):
        title = cut(button.title, limit) or str(index)
        number = index
        while title in titles:
            suffix = f" {number}"
            title = cut(button.title, limit - len(suffix)) + suffix
            number += 1
        titles.append(title)
    return titles


def envelope(recipient: str) -> dict[str, Any]:
    # Phone numbers go in `to`; business-scoped user ids (e.g. "US.1349…") in `recipient`.
    key = "recipient" if "." in recipient else "to"
    return {"messaging_product": "whatsapp", "recipient_type": "individual", key: recipient}


def text_body(recipient: str, text: str, *, preview_url: bool = False) -> dict[str, Any]:
    """A plain text message."""
    return {
        **envelope(recipient),
        "type": "text",
        "text": {"body": text, "preview_url": preview_url},
    }


def template_body(recipient: str, name: str, language: str) -> dict[str, Any]:
    """A pre-approved template message without parameters."""
    return {
        **envelope(recipient),
        "type": "template",
        "template": {"name": name, "language": {"code": language}},
    }


def _buttons_body(recipient: str, text: str, buttons: Sequence[Button]) -> dict[str, Any]:
    titles = _unique_titles(buttons, BUTTON_TITLE_LIMIT)
    return {
        **envelope(recipient),
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": text.strip() or EMPTY_BODY},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": button.id[:ID_LIMIT], "title": title}}
                    for button, title in zip(buttons, titles, strict=True)
                ]
            },
        },
    }


def _list_body(recipient: str, text: str, buttons: Sequence[Button]) -> dict[str, Any]:
    rows = []
    for button in buttons:
        row = {"id": button.id[:ID_LIMIT], "title": cut(button.title, ROW_TITLE_LIMIT) or "…"}
        if len(button.title) > ROW_TITLE_LIMIT:
            # The whole title stays readable in the description line.
            row["description"] = cut(button.title, ROW_DESCRIPTION_LIMIT)
        rows.append(row)
    label = LIST_LABELS.get(detect_language(text), LIST_LABEL_DEFAULT)
    return {
        **envelope(recipient),
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": text.strip() or EMPTY_BODY},
            "action": {"button": cut(label, BUTTON_TITLE_LIMIT), "sections": [{"rows": rows}]},
        },
    }


def render_reply(recipient: str, reply: Reply) -> list[dict[str, Any]]:
    """The message bodies for one reply, in sending order."""
    bodies: list[dict[str, Any]] = []
    if reply.image_url:
        image = {"link": reply.image_url}
        bodies.append({**envelope(recipient), "type": "image", "image": image})
    buttons = reply.buttons
    if not buttons or len(buttons) > MAX_ROWS:
        text = numbered(Reply(text=reply.text, buttons=buttons, link_url=reply.link_url,
                              link_title=reply.link_title))
        preview = reply.link_url is not None
        bodies.extend(
            text_body(recipient, part, preview_url=preview)
            for part in split_text(text, TEXT_LIMIT)
            if part.strip()
        )
        return bodies
    text = reply.text
    if reply.link_url:
        text = numbered(Reply(text=text, link_url=reply.link_url, link_title=reply.link_title))
    # The interactive body is short: anything before its last part goes as plain text first.
    parts = split_text(text, BODY_LIMIT) if text else [""]
    bodies.extend(text_body(recipient, part) for part in parts[:-1] if part.strip())
    if len(buttons) <= MAX_BUTTONS:
        bodies.append(_buttons_body(recipient, parts[-1], buttons))
    else:
        bodies.append(_list_body(recipient, parts[-1], buttons))
    return bodies
