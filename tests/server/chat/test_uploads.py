"""Photos from web visitors: limits, re-encoding without metadata, who may send and see them."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient
from PIL import Image

from bot.app import build_bot
from bot.config import Config
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.helpers.chat import Chat
from tests.helpers.staff import STAFF, sent
from tests.helpers.web import Visitor, visit

Client = TestClient[Any, Any]


def photo(width: int = 64, height: int = 32, kind: str = "JPEG", **save: Any) -> bytes:
    """A small real image; JPEGs carry EXIF a phone would add (orientation, a description)."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    out = io.BytesIO()
    if kind == "JPEG":
        exif = Image.Exif()
        exif[0x0112] = 6  # Orientation: rotate 90° to display
        exif[0x010E] = "home address 31.2304N 121.4737E"  # ImageDescription
        save["exif"] = exif
    image.save(out, kind, **save)
    return out.getvalue()


async def upload(visitor: Visitor, body: bytes, content_type: str = "image/jpeg") -> Any:
    return await visitor.client.post(
        "/api/chat/uploads", data=io.BytesIO(body),
        headers={"Content-Type": content_type, **visitor.headers},
    )


async def test_a_photo_is_kept_upright_without_metadata_and_shown_in_history(
    client: Client,
) -> None:
    visitor = await visit(client)
    response = await upload(visitor, photo())
    assert response.status == 201, await response.text()
    kept = await response.json()
    assert (kept["width"], kept["height"]) == (32, 64)  # the orientation tag applied
    shown = await client.get(kept["url"])
    assert shown.status == 200 and shown.content_type == "image/jpeg"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in shown.headers["Content-Security-Policy"]
    data = await shown.read()
    assert b"31.2304N" not in data and not Image.open(io.BytesIO(data)).getexif()
    answer = await visitor.say("", "p1", image=kept["id"])
    assert answer["replies"]  # the bot answers a photo too (it cannot read it: it says so)
    [line, *_] = await visitor.history()
    assert line["kind"] == "image" and line["image"]["url"] == kept["url"]
    again = await visitor.say("", "p1", image=kept["id"])  # a retry of the same message
    assert again == answer


async def test_refused_uploads_say_why_and_keep_nothing(client: Client) -> None:
    visitor = await visit(client)
    bot = client.app[BOT_KEY]
    limit = bot.config.web.max_upload_bytes
    cases = [
        (b"<html><script>alert(1)</script>", "image/png", 415, "readable photo"),
        (b"%PDF-1.4 not a photo", "application/pdf", 415, "Content-Type"),
        (photo(kind="PNG"), "image/jpeg", 201, ""),  # the bytes decide, not the label
        (photo(kind="BMP"), "image/png", 415, "only photos"),
        (b"", "image/png", 400, "empty"),
        (b"\xff\xd8\xff" + b"0" * limit, "image/jpeg", 413, "MB"),
    ]
    for body, content_type, status, word in cases:
        response = await upload(visitor, body, content_type)
        assert response.status == status, (content_type, await response.text())
        if word:
            assert word in (await response.json())["error"]
    assert bot.store.db.scalar("SELECT count(*) FROM web_uploads") == 1
    anonymous = await client.post(
        "/api/chat/uploads", data=photo(), headers={"Content-Type": "image/jpeg"}
    )
    assert anonymous.status == 401


async def test_a_visitor_cannot_send_someone_elses_photo(client: Client) -> None:
    alice = await visit(client)
    bob = await visit(client)
    kept = await (await upload(alice, photo())).json()
    response = await bob.post({"message_id": "b1", "image": kept["id"]})
    assert response.status == 400
    assert client.app[BOT_KEY].store.deliveries.count() == 0
    missing = await client.get("/api/chat/uploads/nothing-here")
    assert missing.status == 404


async def test_staff_see_the_photo_of_a_customer_in_handoff(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    config = make_config(
        staff=STAFF, handoff={"opens": "00:00", "closes": "24:00"},
        web={"public_url": "https://chat.example.com"},
    )
    client = await aiohttp_client(create_app(build_bot(config)))
    bot = client.app[BOT_KEY]
    visitor = await visit(client)
    await visitor.say("人工")
    took = await Chat(bot, platform="console", user_id="agent").say("/take 1")
    assert took[0].text.startswith("You have #1")
    kept = await (await upload(visitor, photo())).json()
    assert kept["url"].startswith("https://chat.example.com/api/chat/uploads/")
    assert (await visitor.say("破损的包裹", image=kept["id"]))["replies"] == []
    assert sent(bot, "console", "agent")[-1].endswith(": 破损的包裹")
    row = bot.store.outbox.list(limit=1)[0]
    assert row.request.body["image_url"] == kept["url"]
