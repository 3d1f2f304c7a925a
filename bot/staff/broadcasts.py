"""Broadcasts outside the chat turn: who a message to opted-in customers would reach now,
and the record of one sent; the `/broadcast` command and the console both use these.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.message import Address
from bot.runtime.context import Reach
from bot.store import Store

ALL = "all"


@dataclass(slots=True)
class Plan:
    """Who a broadcast would reach now, and who it would skip."""

    recipients: list[Address] = field(default_factory=list)
    outside_window: int = 0
    unreachable: int = 0
    by_platform: Counter[str] = field(default_factory=Counter)
    # Opted-in customers whose every identity on a platform is outside its window, by platform.
    closed_by_platform: Counter[str] = field(default_factory=Counter)

    @property
    def skipped(self) -> int:
        """Customers this broadcast would not reach."""
        return self.outside_window + self.unreachable


def segment_of(reach: Reach, segment: str) -> str | None:
    """"all" or "platform:<name>" of a platform this bot runs; None for anything else."""
    if segment.casefold() in (ALL, "全部"):
        return ALL
    kind, _, name = segment.partition(":")
    if kind.casefold() == "platform" and name in reach.platforms:
        return f"platform:{name}"
    return None


def make_plan(store: Store, reach: Reach, segment: str, now: datetime) -> Plan:
    """Opted-in customers of the segment, each on their most recent open platform."""
    plan = Plan()
    only = segment.removeprefix("platform:") if segment != ALL else None
    for customer_id in store.broadcasts.audience():
        identities = [
            identity for identity in store.customers.reachable_identities(customer_id)
            if identity.platform in reach.platforms
            and (only is None or identity.platform == only)
        ]
        if not identities:
            plan.unreachable += 1
            continue
        for identity in identities:
            if reach.is_open(identity.platform, identity.user_id, now):
                plan.recipients.append(
                    Address(identity.platform, identity.user_id, identity.user_id)
                )
                plan.by_platform[identity.platform] += 1
                break
        else:
            plan.outside_window += 1
            plan.closed_by_platform.update({identity.platform for identity in identities})
    return plan


def describe(plan: Plan) -> str:
    """The plan in one line (what the chat command and the audit row say)."""
    platforms = ", ".join(f"{name} {n}" for name, n in sorted(plan.by_platform.items()))
    return (
        f"{len(plan.recipients)} recipients ({platforms or 'none'}), {plan.outside_window}"
        f" skipped outside the messaging window, {plan.unreachable} unreachable"
    )


def record(
    store: Store, *, staff: str, role: str, segment: str, text: str, plan: Plan,
    outbox_prefix: str, now: datetime,
) -> int:
    """Record a broadcast about to be queued and its audit row (caller's transaction)."""
    broadcast_id = store.broadcasts.record(
        staff=staff, segment=segment, text=text, queued=len(plan.recipients),
        skipped=plan.skipped, outbox_prefix=outbox_prefix, now=now,
    )
    store.staff.audit(
        staff=staff, role=role, action="broadcast", target=segment, now=now,
        after={"id": broadcast_id, "text": text, "queued": len(plan.recipients),
               "skipped": plan.skipped},
    )
    return broadcast_id
