"""The `[console]` settings: the staff console at /console, its sign-in links and sessions."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.reader import TableReader

SECRET_BYTES = 32  # the shortest session secret accepted from the environment


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    """Who may reach the console and for how long a link and a session last."""

    enabled: bool = True
    # The secret that signs sessions. Empty: one is generated once and kept in the store, so
    # every process on the same store agrees and `make run` needs no setup.
    secret: str = ""
    secret_env: str = "BRANDBOT_CONSOLE_SECRET"
    link_minutes: int = 10  # a sign-in link works once, this long
    session_hours: int = 12  # then staff sign in again
    # Where staff reach the server ("https://bot.example.com"); empty: http://host:port.
    public_url: str = ""
    signin_attempts: int = 10  # failed sign-ins from one address …
    signin_window_minutes: int = 15  # … within this long pause that address
    secure_cookie: bool = False  # true once served over HTTPS (the cookie then needs it)


def read_console(table: TableReader) -> ConsoleSettings:
    """Read `[console]`; a secret from the environment must be long enough to sign with."""
    defaults = ConsoleSettings()
    variable = table.string("secret_env", defaults.secret_env)
    secret = table.env.get(variable, "") if variable else ""
    if secret and len(secret.encode()) < SECRET_BYTES:
        table.problem(
            "secret_env", f"{variable} must hold at least {SECRET_BYTES} bytes (e.g. the output"
            " of `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
        secret = ""
    public_url = table.string("public_url", defaults.public_url).rstrip("/")
    if public_url and not public_url.startswith(("http://", "https://")):
        table.problem("public_url", f"must start with http:// or https://, got {public_url!r}")
        public_url = ""
    return ConsoleSettings(
        enabled=table.boolean("enabled", defaults.enabled),
        secret=secret,
        secret_env=variable,
        link_minutes=table.integer("link_minutes", defaults.link_minutes, minimum=1),
        session_hours=table.integer("session_hours", defaults.session_hours, minimum=1),
        public_url=public_url,
        signin_attempts=table.integer("signin_attempts", defaults.signin_attempts, minimum=1),
        signin_window_minutes=table.integer(
            "signin_window_minutes", defaults.signin_window_minutes, minimum=1
        ),
        secure_cookie=table.boolean("secure_cookie", defaults.secure_cookie),
    )
