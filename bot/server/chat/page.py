"""The widget page (GET /, also framed by the embed snippet), its script and style, /embed.js."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from aiohttp import web

from bot.config.web import HEX_COLOUR, MIN_CONTRAST, contrast
from bot.server.running import BOT_KEY

ASSETS = {"chat.js": "application/javascript", "chat.css": "text/css"}
LANGUAGES = ("zh-Hans", "en")
MAX_NAME = 60
MAX_GREETING = 300


def static_text(name: str) -> str:
    """A file of bot/server/static."""
    return resources.files("bot.server").joinpath(f"static/{name}").read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    """JSON that is safe inside a <script> element (no "</script>", no "<!--")."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def security_headers(request: web.Request) -> dict[str, str]:
    """The page's CSP: our own scripts only, framed by ourselves and the allowed origins."""
    ancestors = " ".join(("'self'", *request.app[BOT_KEY].config.web.allowed_origins))
    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:"
        " https:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none';"
        f" frame-ancestors {ancestors}"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cache-Control": "no-store",
    }


def _colour(value: str | None, fallback: str) -> str:
    return value.lower() if value and HEX_COLOUR.fullmatch(value) else fallback


def page_settings(request: web.Request) -> dict[str, Any]:
    """What the widget shows: [web] settings, with the embed snippet's choices where valid."""
    bot = request.app[BOT_KEY]
    web_settings = bot.config.web
    query = request.query
    color = _colour(query.get("color"), web_settings.color)
    text_color = _colour(query.get("text_color"), web_settings.text_color)
    if contrast(color, text_color) < MIN_CONTRAST:
        # A snippet's colours that would make the text unreadable are not used.
        color, text_color = web_settings.color, web_settings.text_color
    brand = (query.get("name") or "").strip()[:MAX_NAME] or web_settings.name
    brand = brand or bot.config.bot.brand
    greeting = (query.get("greeting") or "").strip()[:MAX_GREETING]
    language = query.get("lang", "")
    if language not in LANGUAGES:
        language = "en" if bot.config.bot.default_language == "en" else "zh-Hans"
    return {
        "brand": brand,
        "color": color,
        "textColor": text_color,
        "greeting": {
            "zh-Hans": greeting or web_settings.greeting_zh.replace("{brand}", brand),
            "en": greeting or web_settings.greeting_en.replace("{brand}", brand),
        },
        "suggestions": {
            "zh-Hans": list(web_settings.suggestions_zh), "en": list(web_settings.suggestions_en),
        },
        "language": language,
        "embed": query.get("embed") == "1",
        "parent": query.get("parent", "") if query.get("embed") == "1" else "",
        "maxUploadBytes": web_settings.max_upload_bytes,
        "uploadTypes": list(web_settings.upload_types),
        "maxTextChars": bot.config.server.max_text_chars,
    }


async def chat_page(request: web.Request) -> web.Response:
    """The web chat; embedded, only for a parent page of an allowed origin."""
    settings = page_settings(request)
    headers = security_headers(request)
    allowed = request.app[BOT_KEY].config.web.is_allowed(settings["parent"])
    if settings["embed"] and not allowed:
        return web.Response(
            status=403, headers=headers, content_type="text/plain",
            text="This site may not embed the chat: add its origin to [web] allowed_origins.",
        )
    page = static_text("chat.html")
    page = page.replace("__SETTINGS_JSON__", script_json(settings))
    page = page.replace("__LANG__", settings["language"])
    return web.Response(text=page, content_type="text/html", headers=headers)


async def asset(request: web.Request) -> web.Response:
    """The widget's script and style sheet."""
    name = request.match_info["name"]
    if name not in ASSETS:
        raise web.HTTPNotFound(text="no such file")
    return web.Response(
        text=static_text(name), content_type=ASSETS[name],
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


async def embed_script(request: web.Request) -> web.Response:
    """The snippet a brand's site loads: a launcher and the chat in a frame."""
    settings = request.app[BOT_KEY].config.web
    defaults = {
        "name": settings.name or request.app[BOT_KEY].config.bot.brand,
        "color": settings.color,
        "textColor": settings.text_color,
        "position": settings.position,
        "allowedOrigins": list(settings.allowed_origins),
    }
    script = static_text("embed.js").replace("__EMBED_SETTINGS__", script_json(defaults))
    return web.Response(
        text=script, content_type="application/javascript",
        headers={
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            # Any site may load the script; only allowed origins get a working chat.
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )
