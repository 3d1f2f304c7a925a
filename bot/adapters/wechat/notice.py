"""Notices as WeChat template messages or subscribe notifications (docs/platforms.md §1.10):
each template field filled from the notice and cut to what WeChat accepts for its type."""

from __future__ import annotations

import re
from typing import Any

from bot.adapters.text import fill
from bot.adapters.wechat.api import SUBSCRIBE_PATH, TEMPLATE_PATH
from bot.adapters.wechat.message import NAME
from bot.config.wechat import WeChatNotice
from bot.core.adapter import OutboundRequest
from bot.core.message import Notice

# The longest value WeChat takes for a field, by the type its key starts with (thing1,
# character_string2 …); longer values are refused with 47003, so they are cut.
VALUE_LIMITS = {
    "thing": 20, "character_string": 32, "number": 32, "letter": 32, "symbol": 5,
    "phrase": 5, "name": 20, "phone_number": 17, "car_number": 8, "amount": 11,
}
_TYPE = re.compile(r"^([a-z_]+?)\d*$")


def field_value(key: str, value: str) -> str:
    """`value` cut to the limit of the field type `key` names (unknown types: as it is)."""
    found = _TYPE.match(key)
    limit = VALUE_LIMITS.get(found.group(1)) if found else None
    value = " ".join(value.split())  # no line breaks: WeChat refuses control characters
    if limit is None or len(value) <= limit:
        return value
    return value[: limit - 1] + "…"


def render_notice(openid: str, notice: Notice, config: WeChatNotice) -> OutboundRequest:
    """The template-message or subscribe-notification send saying `notice`."""
    data = {
        key: {"value": field_value(key, fill(text, notice.fields))} for key, text in config.data
    }
    body: dict[str, Any] = {"touser": openid, "template_id": config.template_id, "data": data}
    if config.url:
        # The template API calls the link `url`; subscribe notifications call it `page`.
        body["url" if config.api == "template" else "page"] = fill(config.url, notice.fields)
    path = TEMPLATE_PATH if config.api == "template" else SUBSCRIBE_PATH
    return OutboundRequest(NAME, openid, path, body, user_id=openid)
