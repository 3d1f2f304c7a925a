"""The fan-reward programme as one object: the ledger with its tiers, check-ins, referrals,
links and catalogue, configured with the brand's rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config.rewards import RewardsSettings
from bot.store.database import Database
from bot.store.rewards.catalogue import Catalogue
from bot.store.rewards.checkins import Checkins
from bot.store.rewards.ledger import Ledger
from bot.store.rewards.links import Links
from bot.store.rewards.referrals import Referrals
from bot.store.rewards.standing import Standing


class Loyalty(Ledger):
    """The ledger plus every part of the programme; other features call award/deduct/balance."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.standing = Standing(db, self)
        self.checkins = Checkins(db, self)
        self.referrals = Referrals(db, self, self.checkins)
        self.links = Links(db, self)
        self.catalogue = Catalogue(db, self, self.standing)

    def configure(
        self, rules: RewardsSettings, zone: ZoneInfo, resolve: Callable[[str], Path],
        now: datetime,
    ) -> None:
        """Adopt the configured rules and fill the catalogue's stock of codes."""
        self.rules = rules
        self.zone = zone
        self.catalogue.stock(rules.catalogue, resolve, now)

    def earn(
        self, customer_id: str, base_points: int, reason: str, reference: str, key: str,
        now: datetime,
    ) -> int:
        """Credit points times the tier multiplier; the points credited (0: key used)."""
        points = round(base_points * self.rules.multiplier(self.standing.tier(customer_id, now)))
        if points <= 0:
            return 0
        return points if self.award(customer_id, points, reason, reference, key, now) else 0
