"""Customers writing to a running server over HTTP, signed as each platform signs its pushes.

Each message is a `Delivery`: built once (so a storm or a platform's retry posts the very same
update again), posted any number of times, each post's outcome kept as an `Outcome`.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.adapters.whatsapp.helpers import fixture as whatsapp_fixture
from tests.adapters.whatsapp.helpers import signature as whatsapp_signature
from tests.fakes.telegram_api import SECRET as TELEGRAM_SECRET
from tests.helpers.paths import FIXTURES
from tests.helpers.wechat import ACCOUNT, push

TELEGRAM_UPDATE = json.loads((FIXTURES / "telegram" / "text_private.json").read_text("utf-8"))
WHATSAPP_PUSH = json.loads(whatsapp_fixture("text.json"))
_numbers = itertools.count(1)


@dataclass(slots=True)
class Outcome:
    """What one post got: a status (None: no answer, the connection broke) and how fast."""

    status: int | None
    seconds: float
    body: str = ""

    @property
    def acked(self) -> bool:
        """The platform (or the browser) was told the message is taken."""
        return self.status is not None and 200 <= self.status < 300


@dataclass(slots=True)
class Delivery:
    """One customer message on one platform, as the platform would post it."""

    platform: str
    key: str  # the delivery key the bot dedupes on
    user_id: str
    chat_id: str
    text: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def acked(self) -> bool:
        """Whether any post of it was acknowledged."""
        return any(outcome.acked for outcome in self.outcomes)

    def request(self) -> tuple[str, dict[str, str], bytes]:
        """Path, headers and body of one post (signed afresh where the platform signs each)."""
        raise NotImplementedError


@dataclass(slots=True)
class TelegramDelivery(Delivery):
    """An update posted to the webhook with the secret-token header."""

    update: dict[str, Any] = field(default_factory=dict)

    def request(self) -> tuple[str, dict[str, str], bytes]:
        """The webhook POST."""
        return ("/webhooks/telegram",
                {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
                 "Content-Type": "application/json"},
                json.dumps(self.update, ensure_ascii=False).encode())


@dataclass(slots=True)
class WhatsAppDelivery(Delivery):
    """A Cloud API notification signed with the app secret (X-Hub-Signature-256)."""

    document: dict[str, Any] = field(default_factory=dict)

    def request(self) -> tuple[str, dict[str, str], bytes]:
        """The webhook POST."""
        body = json.dumps(self.document, ensure_ascii=False).encode()
        return ("/webhooks/whatsapp",
                {"X-Hub-Signature-256": whatsapp_signature(body),
                 "Content-Type": "application/json"}, body)


@dataclass(slots=True)
class WeChatDelivery(Delivery):
    """A push in safe mode; WeChat signs every attempt with a fresh timestamp and nonce."""

    xml: str = ""

    def request(self) -> tuple[str, dict[str, str], bytes]:
        """The webhook POST, query string signed now."""
        query, body = push(self.xml, "safe")
        query["openid"] = self.user_id
        return "/webhooks/wechat?" + urlencode(query), {"Content-Type": "text/xml"}, body


@dataclass(slots=True)
class WebDelivery(Delivery):
    """A message typed in the web chat; the widget sends the same message_id on a retry."""

    token: str = ""
    message_id: str = ""  # the browser's; the bot keys it by visitor and message_id

    def request(self) -> tuple[str, dict[str, str], bytes]:
        """POST /api/chat with the visitor's bearer token."""
        return ("/api/chat",
                {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
                json.dumps({"text": self.text, "message_id": self.message_id}).encode())


def telegram(user: int, text: str) -> TelegramDelivery:
    """A private message from Telegram user `user`."""
    number = next(_numbers)
    update = copy.deepcopy(TELEGRAM_UPDATE)
    update["update_id"] = 900_000_000 + number
    update["message"].update(message_id=number, text=text)
    update["message"]["from"]["id"] = user
    update["message"]["chat"]["id"] = user
    return TelegramDelivery("telegram", str(update["update_id"]), str(user), str(user), text,
                            update=update)


def whatsapp(phone: str, text: str) -> WhatsAppDelivery:
    """A text from the WhatsApp number `phone`."""
    wamid = f"wamid.fault.{next(_numbers)}"
    document = copy.deepcopy(WHATSAPP_PUSH)
    value = document["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = phone
    value["contacts"][0].pop("user_id", None)
    value["messages"][0].update({"from": phone, "id": wamid, "timestamp": str(int(time.time())),
                                 "text": {"body": text}})
    return WhatsAppDelivery("whatsapp", wamid, phone, phone, text, document=document)


def wechat(openid: str, text: str) -> WeChatDelivery:
    """A text from the follower `openid`."""
    msg_id = str(24_000_000_000_000_000 + next(_numbers))
    xml = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
           f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
           f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>")
    return WeChatDelivery("wechat", msg_id, openid, openid, text, xml=xml)


async def web_visitor(session: aiohttp.ClientSession, url: str) -> tuple[str, str]:
    """A new web chat session: (visitor id, bearer token)."""
    async with session.post(url + "/api/chat/session", json={"mode": "token"}) as response:
        assert response.status == 200, await response.text()
        data = await response.json()
    return str(data["user_id"]), str(data["token"])


def web(visitor: tuple[str, str], text: str) -> WebDelivery:
    """A message from a web visitor (id, token) with a fresh message_id."""
    user_id, token = visitor
    message_id = f"fault-{next(_numbers)}"
    return WebDelivery("web", f"{user_id}:{message_id}", user_id, user_id, text, token=token,
                       message_id=message_id)


async def post(
    session: aiohttp.ClientSession, url: str, delivery: Delivery, timeout: float = 10.0
) -> Outcome:
    """Post a delivery once; a broken connection or no answer in time is an Outcome too."""
    path, headers, body = delivery.request()
    started = time.perf_counter()
    try:
        async with session.post(url + path, data=body, headers=headers,
                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            text = await response.text()
            outcome = Outcome(response.status, time.perf_counter() - started, text)
    except (aiohttp.ClientError, TimeoutError):
        outcome = Outcome(None, time.perf_counter() - started)
    delivery.outcomes.append(outcome)
    return outcome
