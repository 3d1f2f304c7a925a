"""One person as the store knows them: every customer id of their account (identities linked
across apps merge accounts) and what identifies them (platform ids, names, phones)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.message import Identity
from bot.store.database import Database
from bot.store.rewards.ledger import Ledger

# Columns that hold a customer id, in any table (a new table naming customers uses one).
CUSTOMER_COLUMNS = ("customer_id", "referred_id", "referrer_id", "absorbed_id", "survivor_id",
                    "used_by")


@dataclass(frozen=True, slots=True)
class Person:
    """A customer account and everything that identifies the person behind it."""

    root: str  # the account's customer id (the one others were merged into)
    members: tuple[str, ...]  # every customer id of the account, root first
    identities: tuple[Identity, ...]
    names: tuple[str, ...]  # display names, as platforms reported them
    phones: tuple[str, ...]  # phone numbers they gave or that identify them (WhatsApp)

    def marks(self) -> str:
        """Placeholders for the member ids in an IN (…) clause."""
        return ", ".join("?" for _ in self.members)

    def user_ids(self, platform: str | None = None) -> list[str]:
        """Their user ids (on one platform, or all)."""
        return [identity.user_id for identity in self.identities
                if platform is None or identity.platform == platform]


def find_person(db: Database, ledger: Ledger, reference: str) -> Person | None:
    """The person behind `c…` (a customer id, merged or not) or `platform:user_id`."""
    customer_id: str | None = None
    if db.scalar("SELECT 1 FROM customers WHERE id = ?", [reference]) is not None:
        customer_id = reference
    else:
        platform, _, user_id = reference.partition(":")
        found = db.scalar(
            "SELECT customer_id FROM identities WHERE platform = ? AND user_id = ?",
            [platform, user_id],
        )
        customer_id = str(found) if found is not None else None
    if customer_id is None:
        return None
    members = tuple(ledger.members(customer_id))
    marks = ", ".join("?" for _ in members)
    identities = tuple(
        Identity(row["platform"], row["user_id"])
        for row in db.query(
            f"SELECT platform, user_id FROM identities WHERE customer_id IN ({marks})"
            " ORDER BY created_at, platform",
            list(members),
        )
    )
    names = {
        str(row["name"])
        for row in db.query(
            f"SELECT display_name AS name FROM customers WHERE id IN ({marks}) UNION"
            f" SELECT display_name FROM identities WHERE customer_id IN ({marks})",
            [*members, *members],
        )
        if row["name"]
    }
    phones = {
        str(row["phone"])
        for row in db.query(
            f"SELECT phone FROM customer_phones WHERE customer_id IN ({marks})", list(members)
        )
    }
    # A WhatsApp id is the customer's phone number.
    phones |= {identity.user_id for identity in identities if identity.platform == "whatsapp"}
    return Person(
        root=members[0], members=members, identities=identities,
        names=tuple(sorted(names)), phones=tuple(sorted(phones)),
    )


def customer_tables(db: Database) -> dict[str, tuple[str, ...]]:
    """Every table with a column holding a customer id, and those columns."""
    found: dict[str, tuple[str, ...]] = {}
    for table in db.table_names():
        columns = tuple(name for name in db.column_names(table) if name in CUSTOMER_COLUMNS)
        if columns:
            found[table] = columns
    return found


def naming(person: Person, columns: tuple[str, ...]) -> tuple[str, list[str]]:
    """A WHERE clause matching rows whose customer columns name one of the person's ids."""
    clause = " OR ".join(f'"{column}" IN ({person.marks()})' for column in columns)
    return clause, [member for _ in columns for member in person.members]
