"""A customer in the web chat: POST /api/chat through the real web adapter, replies as JSON."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp.test_utils import TestClient

from tests.helpers.web import Visitor, visit

_ids = itertools.count(1)


@dataclass
class WebReply:
    """One reply as the widget shows it."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)

    @property
    def button_ids(self) -> list[str]:
        """The ids of its buttons, in order."""
        return [button["id"] for button in self.buttons]


class WebChat:
    """One web customer: `await chat.say("谢谢")`, `await chat.press("faq:shipping-fee")`.

    The server decides who is talking: the first message opens a session (a token, as the
    embedded widget does), and `user_id` is the visitor id it was given.
    """

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client
        self.visitor: Visitor | None = None

    @property
    def user_id(self) -> str:
        """The visitor id the server gave this customer (after the first message)."""
        assert self.visitor is not None, "no message sent yet"
        return self.visitor.user_id

    async def send(self, text: str, button: str | None = None) -> list[WebReply]:
        """Post one message with a fresh message id; the replies it got."""
        if self.visitor is None:
            self.visitor = await visit(self.client)
        response = await self.visitor.post(
            {"text": text, "button": button, "message_id": f"web-{next(_ids)}"}
        )
        assert response.status == 200, await response.text()
        data = await response.json()
        return [WebReply(reply["text"], reply.get("buttons", [])) for reply in data["replies"]]

    async def say(self, text: str) -> list[WebReply]:
        """Type a message."""
        return await self.send(text)

    async def press(self, button_id: str, title: str = "") -> list[WebReply]:
        """Press a button of an earlier reply."""
        return await self.send(title, button_id)
