"""Pages of the console: Jinja templates (escaped by default) in the staff member's language."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.server.console.i18n import LANGUAGES, TEXTS, translate
from bot.server.console.member import STAFF_KEY
from bot.server.running import BOT_KEY

HERE = Path(__file__).resolve().parent
LANGUAGE_COOKIE = "brandbot_console_lang"
FLASH_COOKIE = "brandbot_console_flash"
PREFIX = "/console"

ENVIRONMENT = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a misspelt variable fails the page (and the tests), not silently
    trim_blocks=True,
    lstrip_blocks=True,
)


def language_of(request: web.Request) -> str:
    """The UI language: the staff member's choice, else the browser's (Chinese or English)."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    accepted = request.headers.get("Accept-Language", "").lower()
    return "zh" if accepted.startswith("zh") else "en"


def local_time(request: web.Request, moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M"
               ) -> str:
    """A moment in the brand's time zone, as staff read it."""
    if moment is None:
        return ""
    return moment.astimezone(request.app[BOT_KEY].config.bot.zone).strftime(pattern)


def flash(response: web.StreamResponse, text: str, kind: str = "ok") -> None:
    """A one-time note shown on the next page (after a redirect)."""
    # Base64: a cookie value may not hold quotes, commas or Chinese as they are.
    value = base64.urlsafe_b64encode(json.dumps({"text": text[:500], "kind": kind}).encode())
    response.set_cookie(
        FLASH_COOKIE, value.decode(), path=PREFIX, httponly=True, samesite="Strict", max_age=60,
    )


def _flashed(request: web.Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        note = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, binascii.Error):
        return None
    if isinstance(note, dict) and isinstance(note.get("text"), str):
        return {"text": note["text"], "kind": str(note.get("kind", "ok"))}
    return None


def page(
    request: web.Request, template: str, values: Mapping[str, Any] | None = None, *,
    status: int = 200,
) -> web.Response:
    """Render a template with the language, the signed-in staff member and any flashed note."""
    language = language_of(request)
    bot = request.app[BOT_KEY]

    def t(key: str, **parts: Any) -> str:
        return translate(language, key, **parts)

    def when(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
        return local_time(request, moment, pattern)

    note = _flashed(request)
    text = ENVIRONMENT.get_template(template).render(
        t=t, when=when, lang=language, brand=bot.config.bot.brand, path=request.path_qs,
        staff=request.get(STAFF_KEY), note=note, known=TEXTS, **(values or {}),
    )
    response = web.Response(text=text, content_type="text/html", status=status)
    if note is not None:
        response.del_cookie(FLASH_COOKIE, path=PREFIX)
    return response


def redirect(location: str, note: str | None = None, kind: str = "ok") -> web.Response:
    """A 303 to a console page (after a POST), optionally with a note to show there."""
    response = web.Response(status=303, headers={"Location": location})
    if note:
        flash(response, note, kind)
    return response
