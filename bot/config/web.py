"""The `[web]` settings: the web chat's look, who may embed it, its sessions and photo limits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.config.reader import TableReader

POSITIONS = ("right", "left")
UPLOAD_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# WCAG 2.1 AA for normal text: the launcher, header and the customer's bubbles use the colour.
MIN_CONTRAST = 4.5

GREETING_ZH = "你好，我是{brand}的在线客服，可以问我配送、退换货、泡茶和会员积分的问题。"
GREETING_EN = "Hi, this is {brand}'s help desk: ask me about shipping, returns, brewing or points."
SUGGESTIONS_ZH = ("多久发货？", "可以退货吗？", "我的快递到哪了", "怎么泡龙井？")
SUGGESTIONS_EN = ("How long does shipping take?", "Can I return an item?", "Where is my parcel?")


@dataclass(frozen=True, slots=True)
class WebSettings:
    """The web chat widget and its embed snippet."""

    name: str = ""  # shown in the header and launcher; empty: [bot] brand
    color: str = "#3d7a4f"
    text_color: str = "#ffffff"
    position: str = "right"
    greeting_zh: str = GREETING_ZH
    greeting_en: str = GREETING_EN
    suggestions_zh: tuple[str, ...] = SUGGESTIONS_ZH
    suggestions_en: tuple[str, ...] = SUGGESTIONS_EN
    allowed_origins: tuple[str, ...] = ()
    public_url: str = ""
    session_secret: str = field(default="", repr=False)
    session_days: int = 180
    max_upload_bytes: int = 5 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    upload_types: tuple[str, ...] = UPLOAD_TYPES
    # What one visitor and one address may send, and how many new sessions an address gets
    # (a person types a few messages a minute; an office or a carrier's NAT shares addresses).
    messages_per_minute: int = 30
    message_burst: int = 10
    address_messages_per_minute: int = 600
    sessions_per_minute: int = 10
    session_burst: int = 30

    def is_allowed(self, origin: str) -> bool:
        """Whether a page of `origin` (scheme://host[:port]) may embed the chat and call it."""
        return origin.lower().rstrip("/") in self.allowed_origins


def _luminance(colour: str) -> float:
    channels = [int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _origin(table: TableReader, value: str) -> str | None:
    parts = urlsplit(value.strip())
    plain = f"{parts.scheme}://{parts.netloc}".lower()
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        table.problem("allowed_origins", f"{value!r} is not an origin like https://shop.example")
        return None
    if parts.query or parts.fragment or parts.username:
        table.problem("allowed_origins", f"{value!r} must be scheme://host[:port] only")
        return None
    return plain


def _colour(table: TableReader, key: str, default: str) -> str:
    value = table.string(key, default)
    if not HEX_COLOUR.fullmatch(value):
        table.problem(key, f"must be a colour like #3d7a4f, got {value!r}")
        return default
    return value.lower()


def read_web(table: TableReader) -> WebSettings:
    """Read `[web]`."""
    defaults = WebSettings()
    color = _colour(table, "color", defaults.color)
    text_color = _colour(table, "text_color", defaults.text_color)
    if contrast(color, text_color) < MIN_CONTRAST:
        table.problem(
            "color", f"{color} behind {text_color} text has contrast"
            f" {contrast(color, text_color):.1f}:1, below {MIN_CONTRAST}:1 (WCAG AA)",
        )
    origins = tuple(
        origin for value in table.strings("allowed_origins")
        if (origin := _origin(table, value)) is not None
    )
    public_url = table.string("public_url").rstrip("/")
    if public_url and urlsplit(public_url).scheme not in ("http", "https"):
        table.problem("public_url", f"must be an http(s) URL, got {public_url!r}")
        public_url = ""
    types = table.strings("upload_types", defaults.upload_types)
    unknown = [kind for kind in types if kind not in UPLOAD_TYPES]
    if unknown:
        table.problem("upload_types", f"{unknown} not among {', '.join(UPLOAD_TYPES)}")
        types = tuple(kind for kind in types if kind in UPLOAD_TYPES)
    secret = table.secret("session_secret_env", required=False)
    if secret and len(secret.encode()) < 32:
        table.problem("session_secret_env", "the secret must be at least 32 bytes long")
        secret = ""
    return WebSettings(
        name=table.string("name"),
        color=color,
        text_color=text_color,
        position=table.string("position", defaults.position, choices=POSITIONS),
        greeting_zh=table.string("greeting_zh", defaults.greeting_zh),
        greeting_en=table.string("greeting_en", defaults.greeting_en),
        suggestions_zh=table.strings("suggestions_zh", defaults.suggestions_zh),
        suggestions_en=table.strings("suggestions_en", defaults.suggestions_en),
        allowed_origins=origins,
        public_url=public_url,
        session_secret=secret,
        session_days=table.integer("session_days", defaults.session_days, minimum=1),
        max_upload_bytes=table.integer(
            "max_upload_bytes", defaults.max_upload_bytes, minimum=10 * 1024
        ),
        max_image_pixels=table.integer(
            "max_image_pixels", defaults.max_image_pixels, minimum=10_000
        ),
        upload_types=types,
        messages_per_minute=table.integer(
            "messages_per_minute", defaults.messages_per_minute, minimum=1
        ),
        message_burst=table.integer("message_burst", defaults.message_burst, minimum=1),
        address_messages_per_minute=table.integer(
            "address_messages_per_minute", defaults.address_messages_per_minute, minimum=1
        ),
        sessions_per_minute=table.integer(
            "sessions_per_minute", defaults.sessions_per_minute, minimum=1
        ),
        session_burst=table.integer("session_burst", defaults.session_burst, minimum=1),
    )
