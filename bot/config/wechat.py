"""The `[platforms.wechat]` settings: AppID, message mode, secrets, the passive-reply budget."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network

from bot.config.notices import check_text, read_kinds, required, string_table, template_text
from bot.config.reader import TableReader
from bot.config.server import networks
from bot.core.message import NoticeKind

MODES = ("plain", "compatible", "safe")
# A service account (服务号) may send customer-service messages; a subscription account
# (订阅号) without that API can answer only in the passive reply (docs/platforms.md §1.9).
ACCOUNTS = ("service", "subscription")
NOTICE_APIS = ("template", "subscribe")  # template messages, or subscribe notifications
API_BASE_URL = "https://api.weixin.qq.com"
DEADLINE_SECONDS = 5.0  # WeChat gives up on the webhook after 5 s and retries
AES_KEY_LENGTH = 43


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key of a 43-character EncodingAESKey; ValueError if malformed."""
    if len(encoding_aes_key) != AES_KEY_LENGTH:
        raise ValueError(f"must be {AES_KEY_LENGTH} characters, got {len(encoding_aes_key)}")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error:
        raise ValueError("must be base64 (letters, digits, + and /)") from None
    if len(key) != 32:
        raise ValueError("must decode to 32 bytes")
    return key


@dataclass(frozen=True, slots=True)
class WeChatNotice:
    """How one kind of notice goes outside the 48-hour window: a template message or a
    subscribe notification, its template id, and each template field's text."""

    api: str
    template_id: str
    data: tuple[tuple[str, str], ...]  # (template field, text with {placeholders})
    url: str = ""  # opened when the customer taps it (may hold placeholders)


@dataclass(frozen=True, slots=True)
class WeChatSettings:
    """The `[platforms.wechat]` table."""

    enabled: bool = False
    app_id: str = ""
    mode: str = "safe"
    api_base_url: str = API_BASE_URL
    reply_budget_seconds: float = 3.0
    token: str = field(default="", repr=False)
    aes_key: str = field(default="", repr=False)
    app_secret: str = field(default="", repr=False)
    # A push signed more than this far from our clock is refused, and within it each nonce is
    # remembered: a captured signature cannot be replayed with another body.
    replay_window_seconds: int = 300
    # WeChat's callback addresses (`getcallbackip`); empty: accept pushes from anywhere.
    allowed_networks: tuple[IPv4Network | IPv6Network, ...] = ()
    account: str = "service"
    notices: dict[NoticeKind, WeChatNotice] = field(default_factory=dict)


def read_wechat(table: TableReader) -> WeChatSettings:
    """Read `[platforms.wechat]`; secrets come from the environment variables it names."""
    defaults = WeChatSettings()
    enabled = table.boolean("enabled", defaults.enabled)
    mode = table.string("mode", defaults.mode, choices=MODES)
    app_id = table.string("app_id", defaults.app_id)
    if enabled and not app_id:
        table.problem("app_id", "must be the official account's AppID (wx…)")
    aes_key = table.secret("aes_key_env", required=enabled and mode != "plain")
    if aes_key:
        try:
            decode_aes_key(aes_key)
        except ValueError as error:
            table.problem("aes_key_env", f"the EncodingAESKey {error}")
    budget = table.number("reply_budget_seconds", defaults.reply_budget_seconds, minimum=0)
    if budget >= DEADLINE_SECONDS:
        table.problem("reply_budget_seconds", "must be below 5 (WeChat's deadline)")
    account = table.string("account", defaults.account, choices=ACCOUNTS)
    if account == "subscription" and budget == 0:
        table.problem("reply_budget_seconds", "must be above 0 for a subscription account,"
                      " which can answer only in the passive reply")
    return WeChatSettings(
        enabled=enabled,
        app_id=app_id,
        mode=mode,
        api_base_url=table.string("api_base_url", defaults.api_base_url),
        reply_budget_seconds=budget,
        token=table.secret("token_env", required=enabled),
        aes_key=aes_key,
        app_secret=table.secret("app_secret_env", required=enabled),
        replay_window_seconds=table.integer(
            "replay_window_seconds", defaults.replay_window_seconds, minimum=30
        ),
        allowed_networks=networks(table, "allowed_ips"),
        account=account,
        notices=read_kinds(table, "notices", _read_notice),
    )


def _read_notice(table: TableReader, kind: NoticeKind) -> WeChatNotice | None:
    """One `[platforms.wechat.notices.<kind>]` table."""
    api = table.string("api", "template", choices=NOTICE_APIS)
    template_id = required(table, "template_id", "the template's id from the MP console")
    url = template_text(table, "url", kind)
    data = tuple(string_table(table, "data"))
    if not data:
        table.problem("data", "must map each template field (thing1, time2 …) to its text")
    for key, text in data:
        check_text(table, f"data.{key}", text, kind)
    if not template_id or not data:
        return None
    return WeChatNotice(api=api, template_id=template_id, data=data, url=url)

