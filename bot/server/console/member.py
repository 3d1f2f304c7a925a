"""The signed-in staff member of a console request, as pages and handlers see them."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.staff.roles import allows
from bot.store.staff.console import Session


@dataclass(frozen=True, slots=True)
class Staff:
    """The signed-in staff member of a request."""

    id: str
    role: str
    session_id: str
    session: Session
    csrf: str

    def may(self, role: str) -> bool:
        """Whether this member's role includes `role`."""
        return allows(self.role, role)


STAFF_KEY = web.RequestKey("console_staff", Staff)
