"""`brandbot wechat menu set|get|delete` against the fake WeChat API, and a click on the menu
answered like the button it is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.adapters.wechat.xml import read_fields
from bot.app import build_bot
from bot.cli import main
from bot.config import load_config
from bot.server.app import create_app
from tests.conftest import ROOT
from tests.fakes.wechat_api import FakeWeChatApi
from tests.helpers.wechat import ACCOUNT, APP_ID, APP_SECRET, ENV, OPENID, push

SAMPLE = ROOT / "samples" / "wechat_menu.toml"


@pytest.fixture
async def api() -> AsyncIterator[FakeWeChatApi]:
    fake = FakeWeChatApi(APP_ID, APP_SECRET)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def config_file(tmp_path: Path, api: FakeWeChatApi, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[store]
path = "{tmp_path / 'brandbot.db'}"
[knowledge_base]
path = "{ROOT / 'knowledge_base'}"
[platforms.wechat]
enabled = true
app_id = "{APP_ID}"
mode = "plain"
token_env = "WECHAT_TOKEN"
app_secret_env = "WECHAT_APP_SECRET"
api_base_url = "{api.url}"
""",
        encoding="utf-8",
    )
    return str(path)


async def run(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


def click(key: str, created: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>{created}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event>"
        f"<EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


async def test_menu_set_then_get_then_delete(
    config_file: str, api: FakeWeChatApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("wechat", "menu", "set", str(SAMPLE), "--config", config_file) == 0
    [(action, body)] = api.menu_calls
    assert action == "create"
    assert body is not None
    assert body["button"][0] == {"type": "click", "name": "查订单", "key": "orders.lookup"}
    assert body["button"][2]["sub_button"][2] == {
        "type": "view", "name": "官方商城", "url": "https://shop.example.com"
    }
    assert "查订单  → key orders.lookup" in capsys.readouterr().out
    assert await run("wechat", "menu", "get", "--config", config_file) == 0
    shown = capsys.readouterr().out
    assert "  人工客服  → key handoff" in shown
    assert "  官方商城  → https://shop.example.com" in shown
    assert await run("wechat", "menu", "delete", "--config", config_file) == 0
    assert api.menu is None
    assert await run("wechat", "menu", "get", "--config", config_file) == 0
    assert "no menu is set" in capsys.readouterr().out
    assert api.token_requests == 1  # one token, kept in the store for every call


async def test_a_menu_file_with_problems_is_refused_with_each_listed(
    config_file: str, api: FakeWeChatApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "menu.toml"
    bad.write_text(
        '[[button]]\nname = "一个非常非常长的菜单名字"\nkey = "a"\n'
        '[[button]]\nname = "组"\n[[button.sub_button]]\nname = "x"\n'
        '[[button]]\nname = "重复"\nkey = "a"\n[[button]]\nname = "四"\nkey = "d"\n',
        encoding="utf-8",
    )
    assert await run("wechat", "menu", "set", str(bad), "--config", config_file) == 2
    err = capsys.readouterr().err
    assert "write 1 to 3 [[button]] tables" in err
    bad.write_text(
        '[[button]]\nname = "一个非常非常长的菜单名字"\nkey = "a"\n'
        '[[button]]\nname = "组"\n[[button.sub_button]]\nname = "x"\n'
        '[[button]]\nname = "重复"\nkey = "a"\n',
        encoding="utf-8",
    )
    assert await run("wechat", "menu", "set", str(bad), "--config", config_file) == 2
    err = capsys.readouterr().err
    assert "button[0]: name '一个非常非常长的菜单名字' is over 16 bytes" in err
    assert "button[1].sub_button[0]: give a key" in err
    assert "key 'a' is used twice" in err
    assert api.menu_calls == []  # nothing was sent


async def test_a_menu_click_is_answered_like_the_button_it_is(
    config_file: str, api: FakeWeChatApi, tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[Any]],
) -> None:
    menu = tmp_path / "menu.toml"
    menu.write_text(
        SAMPLE.read_text(encoding="utf-8")
        + '\n[[button.sub_button]]\nname = "运费多少"\nkey = "ASK_FEE"\n', encoding="utf-8"
    )
    assert await run("wechat", "menu", "set", str(menu), "--config", config_file) == 0
    bot = build_bot(load_config(config_file))
    client: TestClient[Any, Any] = await aiohttp_client(create_app(bot))

    async def answer(key: str, created: int) -> tuple[str, str]:
        query, body = push(click(key, created), "plain")
        response = await client.post("/webhooks/wechat", params=query, data=body)
        content = read_fields((await response.text()).encode()).get("Content", "")
        route = bot.store.db.scalar(
            "SELECT route FROM conversation_log WHERE direction = 'out' ORDER BY id DESC"
        )
        return content, str(route)

    shipping_time = bot.faqs.get("shipping-time")
    assert shipping_time is not None
    content, route = await answer("faq:shipping-time", 1763862100)
    assert route == "faq" and content.startswith(shipping_time.answer("zh-Hans"))
    # "handoff" is the id of the "talk to a person" button: the click asks for one too.
    assert (await answer("handoff", 1763862200))[1] == "handoff"
    # A key no route knows is read as its title, like a button's: 运费多少 is a question.
    shipping_fee = bot.faqs.get("shipping-fee")
    assert shipping_fee is not None
    content, route = await answer("ASK_FEE", 1763862300)
    assert route == "faq" and content.startswith(shipping_fee.answer("zh-Hans"))
