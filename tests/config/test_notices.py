"""Templates for notices and the WeChat account kind are checked when config.toml is read:
one clear line per problem."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import parse_config
from bot.config.wechat import WeChatSettings
from bot.config.whatsapp import WhatsAppSettings
from bot.core.errors import ConfigError
from bot.core.message import NoticeKind
from tests.adapters.whatsapp.helpers import ENV as WHATSAPP_ENV
from tests.adapters.whatsapp.helpers import settings_table
from tests.helpers.wechat import ENV as WECHAT_ENV
from tests.helpers.wechat import platform_table


def problems(**platforms: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config({"platforms": platforms}, {**WHATSAPP_ENV, **WECHAT_ENV})
    return raised.value.problems


def test_good_templates_are_read_typed() -> None:
    config = parse_config({"platforms": {
        "whatsapp": settings_table(templates={"order_shipped": {
            "name": "shipped", "body": ["{number}"], "languages": {"en": "en_US"}}}),
        "wechat": platform_table("plain", "http://127.0.0.1:9", account="subscription", notices={
            "points_expiring": {"template_id": "t1", "data": {"thing1": "{points}"}}}),
    }}, {**WHATSAPP_ENV, **WECHAT_ENV})
    whatsapp = config.platforms["whatsapp"]
    wechat = config.platforms["wechat"]
    assert isinstance(whatsapp, WhatsAppSettings) and isinstance(wechat, WeChatSettings)
    template = whatsapp.templates[NoticeKind.ORDER_SHIPPED]
    assert (template.name, template.body, template.languages) == (
        "shipped", (("", "{number}"),), (("en", "en_US"),))
    assert wechat.account == "subscription"
    notice = wechat.notices[NoticeKind.POINTS_EXPIRING]
    assert (notice.api, notice.template_id, notice.data) == ("template", "t1",
                                                             (("thing1", "{points}"),))


def test_each_mistake_is_one_line() -> None:
    found = problems(
        whatsapp=settings_table(templates={
            "order_lost": {"name": "x"},
            "order_shipped": {"body": ["{number}", "{courier}"], "languages": {"fr": "fr"}},
        }),
        wechat=platform_table("plain", "http://127.0.0.1:9", account="subscription",
                              reply_budget_seconds=0, notices={
                                  "order_paid": {"api": "sms", "data": {"thing1": "{oops"}}}),
    )
    expected = [
        "platforms.whatsapp.templates.order_lost: is not a kind of notice",
        "platforms.whatsapp.templates.order_shipped.name: must be the approved template's name",
        "platforms.whatsapp.templates.order_shipped.body.2: {courier} is not a field of"
        " order_shipped",
        "platforms.whatsapp.templates.order_shipped.languages.fr: must be one of",
        "platforms.wechat.reply_budget_seconds: must be above 0 for a subscription account",
        "platforms.wechat.notices.order_paid.api: must be one of template, subscribe",
        "platforms.wechat.notices.order_paid.template_id: must be the template's id",
        "platforms.wechat.notices.order_paid.data.thing1: '{oops' has broken braces",
    ]
    for line in expected:
        assert any(problem.startswith(line) for problem in found), (line, found)
    assert len(found) == len(expected)
