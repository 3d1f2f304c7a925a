"""Notices as approved WhatsApp templates with parameters, in the customer's language; and the
read receipt for a handled message (docs/platforms.md §3.5, §3.7)."""

from __future__ import annotations

from typing import Any

from bot.adapters.text import fill
from bot.adapters.whatsapp.render import envelope
from bot.config.whatsapp import Parameters, WhatsAppTemplate
from bot.core.language import HANS, HANT
from bot.core.message import Notice

# Meta refuses a template text parameter with line breaks, tabs or 4+ spaces in a row.
PARAMETER_LIMIT = 1024


def language_code(template: WhatsAppTemplate, language: str, default: str) -> str:
    """The template's language code for a customer reading `language` (traditional Chinese
    falls back on simplified where the template has no zh-Hant translation)."""
    codes = dict(template.languages)
    found = codes.get(language) or (codes.get(HANS) if language == HANT else None)
    return found or default


def _parameters(parameters: Parameters, notice: Notice) -> list[dict[str, str]]:
    values = []
    for name, text in parameters:
        value = " ".join(fill(text, notice.fields).split())[:PARAMETER_LIMIT] or "-"
        parameter = {"type": "text", "text": value}
        if name:
            parameter["parameter_name"] = name
        values.append(parameter)
    return values


def template_notice_body(
    recipient: str, template: WhatsAppTemplate, notice: Notice, default_language: str
) -> dict[str, Any]:
    """The template message saying `notice`: header and body parameters, a URL button."""
    components: list[dict[str, Any]] = []
    if template.header:
        components.append({"type": "header", "parameters": _parameters(template.header, notice)})
    if template.body:
        components.append({"type": "body", "parameters": _parameters(template.body, notice)})
    if template.url_button:
        components.append({
            "type": "button", "sub_type": "url", "index": "0",
            "parameters": [{"type": "text", "text": fill(template.url_button, notice.fields)}],
        })
    body: dict[str, Any] = {
        "name": template.name,
        "language": {"code": language_code(template, notice.language, default_language)},
    }
    if components:
        body["components"] = components
    return {**envelope(recipient), "type": "template", "template": body}


def read_receipt(wamid: str) -> dict[str, Any]:
    """Marks the customer's message read (blue ticks), once it has been handled."""
    return {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
