"""The web chat's tables: visitors' sessions, the generated signing secret, customers' photos."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.clock import iso, parse_iso
from bot.store.database import Database

SESSION_SECRET = "session"
# Every column but the bytes: listings never read the photos themselves.
UPLOAD_COLUMNS = "id, visitor_id, message_id, mime_type, size, width, height, sha256, created_at"


@dataclass(frozen=True, slots=True)
class WebSession:
    """One browser's chat identity: issued to an address, renewed while it keeps coming."""

    visitor_id: str
    address: str
    user_agent: str
    mode: str  # "cookie" (the page on our origin) or "token" (embedded, or an API client)
    created_at: datetime
    renewed_at: datetime


@dataclass(frozen=True, slots=True)
class Upload:
    """A photo a visitor sent, re-encoded and kept in the store."""

    id: str
    visitor_id: str
    message_id: str | None
    mime_type: str
    size: int
    width: int
    height: int
    sha256: str
    created_at: datetime
    data: bytes = b""


def _upload(row: dict[str, Any]) -> Upload:
    return Upload(**{**row, "created_at": parse_iso(row["created_at"])})


class WebChatStore:
    """Sessions, the session secret and uploads of the web chat."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def secret(self, now: datetime) -> bytes:
        """The signing secret generated on first use and shared by every process on the store."""
        # INSERT OR IGNORE: two processes starting at once agree on the first one's secret.
        self.db.execute(
            "INSERT OR IGNORE INTO web_secrets (name, value, created_at) VALUES (?, ?, ?)",
            [SESSION_SECRET, secrets.token_hex(32), iso(now)],
        )
        value = self.db.scalar("SELECT value FROM web_secrets WHERE name = ?", [SESSION_SECRET])
        return bytes.fromhex(str(value))

    def open_session(
        self, address: str, user_agent: str, mode: str, now: datetime,
        visitor_id: str | None = None,
    ) -> WebSession:
        """A new visitor (a fresh random id unless given), recorded with where it came from."""
        session = WebSession(
            visitor_id=visitor_id or "v" + secrets.token_urlsafe(16), address=address[:64],
            user_agent=user_agent[:300], mode=mode, created_at=now, renewed_at=now,
        )
        self.db.execute(
            "INSERT OR IGNORE INTO web_sessions (visitor_id, address, user_agent, mode,"
            " created_at, renewed_at) VALUES (?, ?, ?, ?, ?, ?)",
            [session.visitor_id, session.address, session.user_agent, mode, iso(now), iso(now)],
        )
        return session

    def renew(self, visitor_id: str, now: datetime) -> bool:
        """Record that a session was renewed; False if the store never issued it."""
        cursor = self.db.execute(
            "UPDATE web_sessions SET renewed_at = ? WHERE visitor_id = ?", [iso(now), visitor_id]
        )
        return cursor.rowcount > 0

    def session(self, visitor_id: str) -> WebSession | None:
        """A session by its visitor id."""
        row = self.db.one("SELECT * FROM web_sessions WHERE visitor_id = ?", [visitor_id])
        if row is None:
            return None
        return WebSession(
            **{**row, "created_at": parse_iso(row["created_at"]),
               "renewed_at": parse_iso(row["renewed_at"])}
        )

    def sessions_from(self, address: str, since: datetime) -> int:
        """How many sessions were issued to one client address since a moment."""
        return int(
            self.db.scalar(
                "SELECT count(*) FROM web_sessions WHERE address = ? AND created_at >= ?",
                [address, iso(since)],
            )
        )

    def add_upload(
        self, visitor_id: str, mime_type: str, data: bytes, width: int, height: int,
        sha256: str, now: datetime,
    ) -> Upload:
        """Keep a photo under a fresh unguessable id."""
        upload = Upload(
            id=secrets.token_urlsafe(18), visitor_id=visitor_id, message_id=None,
            mime_type=mime_type, size=len(data), width=width, height=height, sha256=sha256,
            created_at=now,
        )
        self.db.execute(
            "INSERT INTO web_uploads (id, visitor_id, message_id, mime_type, size, width, height,"
            " sha256, data, created_at) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)",
            [upload.id, visitor_id, mime_type, upload.size, width, height, sha256, data,
             iso(now)],
        )
        return upload

    def upload(self, upload_id: str, *, with_data: bool = False) -> Upload | None:
        """An upload by id (its bytes too when asked)."""
        columns = "*" if with_data else UPLOAD_COLUMNS
        row = self.db.one(f"SELECT {columns} FROM web_uploads WHERE id = ?", [upload_id])
        return _upload(row) if row is not None else None

    def attach(self, upload_id: str, visitor_id: str, message_id: str) -> bool:
        """Tie an upload to the message that sent it; False if it is not the visitor's to send.

        Sending the same message again (a retry) finds the upload already tied to it.
        """
        cursor = self.db.execute(
            "UPDATE web_uploads SET message_id = ? WHERE id = ? AND visitor_id = ?"
            " AND (message_id IS NULL OR message_id = ?)",
            [message_id, upload_id, visitor_id, message_id],
        )
        return cursor.rowcount > 0

    def uploads_of(self, visitor_ids: list[str], message_ids: list[str]) -> dict[str, Upload]:
        """The uploads sent with some of these visitors' messages, by message id."""
        if not visitor_ids or not message_ids:
            return {}
        visitors = ", ".join("?" for _ in visitor_ids)
        messages = ", ".join("?" for _ in message_ids)
        rows = self.db.query(
            f"SELECT {UPLOAD_COLUMNS} FROM web_uploads WHERE visitor_id IN ({visitors})"
            f" AND message_id IN ({messages})",
            [*visitor_ids, *message_ids],
        )
        return {row["message_id"]: _upload(row) for row in rows}
