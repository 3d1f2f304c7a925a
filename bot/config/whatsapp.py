"""The `[platforms.whatsapp]` settings: the business number, Graph API secrets, templates."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config.reader import TableReader


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
    )
