"""Images in replies reach WeChat customers as image messages: uploaded as temporary media
once per content (cached by its hash), converted when WeChat would refuse the format."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from PIL import Image

from bot.adapters.wechat.xml import read_fields
from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.message import Message, Reply
from bot.runtime.context import Context
from bot.runtime.router import Route, Router
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.fakes.wechat_api import FakeWeChatApi
from tests.helpers.wechat import ENV, OPENID, platform_table, push, text_push

Client = TestClient[Any, Any]


def picture(kind: str, color: str = "green") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, kind)
    return buffer.getvalue()


@pytest.fixture
async def client(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Awaitable[Client]],
    wechat_api: FakeWeChatApi,
) -> Client:
    wechat_api.files = {"tea.png": picture("PNG"), "copy.png": picture("PNG"),
                        "cup.webp": picture("WEBP", "white"), "broken.png": b"not an image"}
    bot = build_bot(make_config(platforms={"wechat": platform_table("plain", wechat_api.url)},
                                env=ENV))

    async def handle(message: Message, ctx: Context, found: object) -> list[Reply]:
        name = message.text  # the customer "asks" for a file by name
        return [Reply(text=f"看图：{name}", image_url=f"{wechat_api.url}/files/{name}")]

    bot.pipeline.router = Router([Route("picture", lambda message, ctx: True, handle)])
    return await aiohttp_client(create_app(bot))


async def ask(client: Client, name: str, msg_id: str) -> str:
    query, body = push(text_push(name, msg_id), "plain")
    response = await client.post("/webhooks/wechat", params=query, data=body)
    return read_fields((await response.text()).encode()).get("Content", "")


async def sent(client: Client, api: FakeWeChatApi, count: int) -> list[dict[str, Any]]:
    bot: Bot = client.app[BOT_KEY]
    await bot.ingress.drain()
    await api.wait_for_delivered(count)
    await bot.outbox.wait_idle()
    return api.delivered


async def test_an_image_is_uploaded_once_per_content_and_sent_as_an_image(
    client: Client, wechat_api: FakeWeChatApi
) -> None:
    # The text goes in the passive answer, without the image's link; the image follows.
    assert await ask(client, "tea.png", "91000") == "看图：tea.png"
    [image] = await sent(client, wechat_api, 1)
    assert image == {"touser": OPENID, "msgtype": "image", "image": {"media_id": "media-1"}}
    [(kind, filename, content)] = wechat_api.uploads
    assert (kind, content) == ("image", wechat_api.files["tea.png"])
    assert filename.endswith(".png")
    # The same picture again, and the same bytes under another URL: no second upload.
    await ask(client, "tea.png", "91001")
    await ask(client, "copy.png", "91002")
    images = await sent(client, wechat_api, 3)
    assert [body["image"]["media_id"] for body in images] == ["media-1"] * 3
    assert len(wechat_api.uploads) == 1


async def test_a_format_wechat_refuses_is_converted_and_a_broken_one_goes_as_its_link(
    client: Client, wechat_api: FakeWeChatApi
) -> None:
    await ask(client, "cup.webp", "92000")
    await sent(client, wechat_api, 1)
    [(_, filename, content)] = wechat_api.uploads
    assert filename.endswith(".jpg") and Image.open(io.BytesIO(content)).format == "JPEG"
    await ask(client, "broken.png", "92001")
    [_, link] = await sent(client, wechat_api, 2)
    assert link == {"touser": OPENID, "msgtype": "text",
                    "text": {"content": f"{wechat_api.url}/files/broken.png"}}
    bot: Bot = client.app[BOT_KEY]
    newest = bot.store.outbox.list()[0]
    assert newest.status == "sent" and "link instead" in newest.last_error
