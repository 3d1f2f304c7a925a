"""Everything the store knows about one person: found across linked identities, exported as
JSON, erased (README "Data kept")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.store.database import Database
from bot.store.privacy.erase import erase_person
from bot.store.privacy.export import export_person
from bot.store.privacy.person import Person, find_person
from bot.store.rewards.ledger import Ledger

__all__ = ["Person", "Privacy"]


class Privacy:
    """A person's data: who they are across identities, an export, an erasure."""

    def __init__(self, db: Database, ledger: Ledger) -> None:
        self.db = db
        self.ledger = ledger

    def find(self, reference: str) -> Person | None:
        """The person behind a customer id (`c…`) or an identity (`platform:user_id`)."""
        return find_person(self.db, self.ledger, reference)

    def export(self, person: Person, now: datetime) -> dict[str, Any]:
        """Everything stored about the person, as JSON-ready data."""
        return export_person(self.db, self.ledger, person, now)

    def erase(self, person: Person, who: str, now: datetime) -> dict[str, int]:
        """Remove the person's personal data in one transaction; rows touched per table."""
        return erase_person(self.db, self.ledger, person, who, now)
