"""The `[platforms.whatsapp]` settings: the business number, Graph API secrets, templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.config.notices import check_text, read_kinds, required, string_table, template_text
from bot.config.reader import TableReader
from bot.core.language import ENGLISH, HANS, HANT
from bot.core.message import NoticeKind

LANGUAGES = (HANS, HANT, ENGLISH)
# (parameter name, or "" for positional {{1}} {{2}} …; the text filled from the notice)
Parameters = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class WhatsAppTemplate:
    """The approved template one kind of notice is sent with outside the 24-hour window."""

    name: str
    body: Parameters = ()
    header: Parameters = ()
    url_button: str = ""  # the variable end of the template's first URL button
    languages: tuple[tuple[str, str], ...] = ()  # (our language, the template's language code)


@dataclass(frozen=True, slots=True)
class WhatsAppSettings:
    """The `[platforms.whatsapp]` table."""

    enabled: bool = False
    phone_number_id: str = ""
    access_token: str = field(default="", repr=False)
    app_secret: str = field(default="", repr=False)
    verify_token: str = field(default="", repr=False)
    api_base_url: str = "https://graph.facebook.com"
    api_version: str = "v26.0"
    window_template: str = ""  # sent instead of a free-form message outside the window
    template_language: str = "en"
    templates: dict[NoticeKind, WhatsAppTemplate] = field(default_factory=dict)
    mark_read: bool = True  # mark each handled message read (the customer sees blue ticks)


def read_whatsapp(table: TableReader) -> WhatsAppSettings:
    """Read `[platforms.whatsapp]`; secrets come from the environment variables it names."""
    defaults = WhatsAppSettings()
    enabled = table.boolean("enabled", False)
    phone_number_id = table.string("phone_number_id")
    if enabled and not phone_number_id.strip():
        table.problem("phone_number_id", "is required when WhatsApp is enabled")
    base_url = table.string("api_base_url", defaults.api_base_url)
    if not base_url.startswith(("http://", "https://")):
        table.problem("api_base_url", f"must start with http:// or https://, got {base_url!r}")
    return WhatsAppSettings(
        enabled=enabled,
        phone_number_id=phone_number_id.strip(),
        access_token=table.secret("access_token_env", required=enabled),
        app_secret=table.secret("app_secret_env", required=enabled),
        verify_token=table.secret("verify_token_env", required=enabled),
        api_base_url=base_url,
        api_version=table.string("api_version", defaults.api_version).strip("/"),
        window_template=table.string("window_template"),
        template_language=table.string("template_language", defaults.template_language),
        templates=read_kinds(table, "templates", _read_template),
        mark_read=table.boolean("mark_read", defaults.mark_read),
    )


def _parameters(table: TableReader, key: str, kind: NoticeKind) -> Parameters:
    """A list of texts (positional parameters) or a table of them (named parameters)."""
    value: Any = table.table.get(key)
    if value is None:
        table.mark_read(key)
        return ()
    if isinstance(value, dict):
        found = tuple(string_table(table, key))
    else:
        found = tuple(("", text) for text in table.strings(key))
    for index, (name, text) in enumerate(found, 1):
        check_text(table, f"{key}.{name or index}", text, kind)
    return found


def _read_template(table: TableReader, kind: NoticeKind) -> WhatsAppTemplate | None:
    """One `[platforms.whatsapp.templates.<kind>]` table."""
    name = required(table, "name", "the approved template's name")
    url_button = template_text(table, "url_button", kind)
    languages = tuple(string_table(table, "languages"))
    for language, _ in languages:
        if language not in LANGUAGES:
            table.problem(f"languages.{language}", f"must be one of {', '.join(LANGUAGES)}")
    template = WhatsAppTemplate(
        name=name, body=_parameters(table, "body", kind),
        header=_parameters(table, "header", kind), url_button=url_button, languages=languages,
    )
    return template if name else None
