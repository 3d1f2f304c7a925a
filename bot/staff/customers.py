"""A customer as staff see them: found by name, platform id or order number, and one view
that joins linked accounts, the conversation, orders, points, referrals, handoffs and ratings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.message import Customer
from bot.core.order import Order
from bot.store import Store
from bot.store.conversations import LogEntry
from bot.store.rewards.ledger import LedgerEntry
from bot.store.staff.directory import IdentityDetail, Referral
from bot.store.staff.handoffs import Handoff

FOUND = 20
TRANSCRIPT = 60
LEDGER = 30
ORDERS = 20


def set_blocked(
    store: Store, *, staff: str, role: str, customer: Customer, blocked: bool, now: datetime
) -> bool:
    """Stop or resume answering a customer, with its audit row; False if it already was so."""
    if customer.blocked == blocked:
        return False
    with store.transaction():
        store.customers.set_blocked(customer.id, blocked)
        store.staff.audit(
            staff=staff, role=role, action="block" if blocked else "unblock",
            target=customer.id, before={"blocked": customer.blocked},
            after={"blocked": blocked}, now=now,
        )
    return True


def search(store: Store, text: str) -> list[Customer]:
    """Customers matching a name, an id, "platform:user_id", a platform id or an order number."""
    text = text.strip()
    if not text:
        return []
    ids = store.directory.search(text, FOUND)
    order = store.orders.get(text.upper()) or store.orders.get(text)
    if order is not None:
        ids = [*store.orders.access.owners(order.number, phone=order.phone,
                                            customer_id=order.customer_id), *ids]
    found = [store.customers.get(customer_id) for customer_id in dict.fromkeys(ids)]
    return [customer for customer in found if customer is not None][:FOUND]


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything the console's customer page shows."""

    customer: Customer
    members: list[str]  # this customer and the accounts linked into it
    identities: list[IdentityDetail]
    transcript: list[LogEntry]
    orders: list[Order]
    balance: int
    tier: str
    ledger: list[LedgerEntry]
    referrals: list[Referral]
    handoffs: list[Handoff]
    opted_in: bool

    @property
    def ratings(self) -> list[int]:
        """The customer's ratings of handoffs, newest first."""
        return [handoff.rating for handoff in self.handoffs if handoff.rating is not None]


def profile(store: Store, customer_id: str, now: datetime) -> Profile | None:
    """The joined view of one customer (linked accounts count as one person)."""
    customer = store.customers.get(customer_id)
    if customer is None:
        return None
    members = store.loyalty.members(customer.id)
    if customer.id not in members:
        members = [customer.id, *members]
    return Profile(
        customer=customer,
        members=members,
        identities=[detail for member in members for detail in store.directory.identities(member)],
        transcript=store.directory.transcript(members, TRANSCRIPT),
        orders=store.orders.access.for_customer(customer.id, ORDERS),
        balance=store.loyalty.balance(customer.id, now),
        tier=store.loyalty.standing.tier(customer.id, now),
        ledger=store.loyalty.history(customer.id, LEDGER),
        referrals=store.directory.referrals(members),
        handoffs=store.directory.handoffs(members),
        opted_in=store.broadcasts.is_opted_in(customer.id),
    )
