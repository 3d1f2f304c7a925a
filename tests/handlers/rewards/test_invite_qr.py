"""WeChat invite QR codes: created through the API in the background, shown by /invite."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import aiohttp

from bot.adapters.wechat.qr import KEY, SHOW_URL, InviteQrCodes
from bot.app import Bot, build_bot
from bot.config import Config
from bot.store import Store
from tests.fakes.wechat_api import FakeWeChatApi
from tests.helpers.chat import Chat
from tests.helpers.wechat import ENV, OPENID, platform_table


def qr_services(bot: Bot) -> dict[str, InviteQrCodes]:
    """The bot's invite QR service under its old name, if it runs one."""
    found = [service for service in bot.services if isinstance(service, InviteQrCodes)]
    return {"wechat_qr": found[0]} if found else {}


def cached_url(store: Store, code: str) -> str | None:
    """The invite QR code's image URL, once created."""
    return store.kv.get(KEY + code)


def ticket_url(code: str) -> str:
    return SHOW_URL + quote(f"gQH47joAAAAAAAAAASxodHRw+ref_{code}/==", safe="")


async def test_invite_shows_the_qr_code_once_it_is_created(
    start_bot: Callable[..., Awaitable[Bot]], wechat_api: FakeWeChatApi
) -> None:
    bot = await start_bot(env=ENV, platforms={"wechat": platform_table("plain", wechat_api.url)})
    service = qr_services(bot)["wechat_qr"]
    assert isinstance(service, InviteQrCodes)
    chat = Chat(bot, platform="wechat", user_id=OPENID)
    first = (await chat.say("邀请"))[0].text
    assert "二维码正在生成" in first
    code = re.search(r"邀请码：([A-Z0-9]{6})", first).group(1)  # type: ignore[union-attr]
    url = await service.ready(code)
    assert url == ticket_url(code)
    [(token, body)] = wechat_api.qr_requests
    assert token == "token-1"
    assert body == {"action_name": "QR_LIMIT_STR_SCENE",
                    "action_info": {"scene": {"scene_str": f"ref_{code}"}}}
    again = (await chat.say("邀请"))[0].text
    assert url in again and "二维码正在生成" not in again
    assert len(wechat_api.qr_requests) == 1  # cached: created once per code


async def test_a_failed_creation_is_retried_and_a_refused_token_refreshed(
    make_config: Callable[..., Config], wechat_api: FakeWeChatApi
) -> None:
    bot = build_bot(make_config(env=ENV,
                                platforms={"wechat": platform_table("plain", wechat_api.url)}))
    try:
        service = qr_services(bot)["wechat_qr"]
        assert isinstance(service, InviteQrCodes)
        code = bot.store.loyalty.referrals.code_for("customer-a", bot.clock.now())
        wechat_api.planned_qr = [500, {"errcode": 45009, "errmsg": "api freq out of limit"}]
        async with aiohttp.ClientSession() as session:
            assert await service.run_once(session) == 0
            assert await service.run_once(session) == 0
            assert cached_url(bot.store, code) is None
            wechat_api.expired_tokens.add("token-1")  # WeChat refuses the cached token
            assert await service.run_once(session) == 1
            assert await service.run_once(session) == 0  # nothing left to create
        assert cached_url(bot.store, code) == ticket_url(code)
        assert [token for token, _ in wechat_api.qr_requests] == [
            "token-1", "token-1", "token-1", "token-2"
        ]
    finally:
        bot.store.close()


async def test_without_wechat_there_is_no_qr_service(rewards_bot: Bot) -> None:
    assert "wechat_qr" not in qr_services(rewards_bot)
    reply = (await Chat(rewards_bot, user_id="web-user").say("邀请"))[0].text
    assert "二维码" not in reply
