"""The reward catalogue's stock of coupon codes; a redemption deducts and hands out at once."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from bot.config.rewards import TIERS, RewardItem
from bot.core.clock import iso
from bot.store.database import Database
from bot.store.rewards.ledger import Ledger
from bot.store.rewards.referrals import ALPHABET
from bot.store.rewards.standing import Standing

log = logging.getLogger(__name__)
GENERATED_LENGTH = 8


class Redeemed(StrEnum):
    """The outcome of a redemption."""

    OK = "ok"
    REPEAT = "repeat"  # the same delivery again: the code it got the first time
    NOT_ENOUGH_POINTS = "not_enough_points"
    OUT_OF_STOCK = "out_of_stock"
    TIER_TOO_LOW = "tier_too_low"


@dataclass(frozen=True, slots=True)
class Redemption:
    """What a redemption did, and the coupon code handed out."""

    outcome: Redeemed
    code: str = ""


class Catalogue:
    """Coupon codes per reward number; each is handed out at most once."""

    def __init__(self, db: Database, loyalty: Ledger, standing: Standing) -> None:
        self.db = db
        self.loyalty = loyalty
        self.standing = standing

    def stock(
        self, items: Sequence[RewardItem], resolve: Callable[[str], Path], now: datetime
    ) -> int:
        """Load codes from files and generate missing ones; how many codes were added."""
        added = 0
        with self.db.transaction():
            for item in items:
                if item.codes_file:
                    added += self._load_file(item, resolve(item.codes_file), now)
                if item.generate:
                    added += self._generate(item, now)
        return added

    def _add(self, reward: int, code: str, source: str, now: datetime) -> int:
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO reward_codes (reward, code, source, created_at)"
            " VALUES (?, ?, ?, ?)",
            [reward, code, source, iso(now)],
        )
        return cursor.rowcount

    def _load_file(self, item: RewardItem, path: Path, now: datetime) -> int:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            log.warning("reward %d: cannot read codes file %s: %s", item.number, path, error)
            return 0
        codes = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        return sum(self._add(item.number, code, "file", now) for code in codes)

    def _generate(self, item: RewardItem, now: datetime) -> int:
        made = int(self.db.scalar(
            "SELECT count(*) FROM reward_codes WHERE reward = ? AND source = 'generated'",
            [item.number],
        ))
        added = 0
        while made + added < item.generate:
            code = item.prefix + "".join(secrets.choice(ALPHABET) for _ in range(GENERATED_LENGTH))
            added += self._add(item.number, code, "generated", now)
        return added

    def left(self, reward: int) -> int:
        """Codes of a reward not yet handed out."""
        return int(self.db.scalar(
            "SELECT count(*) FROM reward_codes WHERE reward = ? AND customer_id IS NULL",
            [reward],
        ))

    def redeem(
        self, customer_id: str, item: RewardItem, key: str, now: datetime
    ) -> Redemption:
        """Deduct the cost and hand out one unused code, or change nothing at all."""
        root = self.loyalty.root(customer_id)
        with self.db.transaction():
            earlier = self.db.scalar(
                "SELECT code FROM reward_codes WHERE ledger_key = ?", [key]
            )
            if earlier is not None:
                return Redemption(Redeemed.REPEAT, str(earlier))
            tier = self.standing.tier(root, now)
            if TIERS.index(tier) < TIERS.index(item.min_tier):
                return Redemption(Redeemed.TIER_TOO_LOW)
            free = self.db.one(
                "SELECT id, code FROM reward_codes WHERE reward = ? AND customer_id IS NULL"
                " ORDER BY id LIMIT 1",
                [item.number],
            )
            if free is None:
                return Redemption(Redeemed.OUT_OF_STOCK)
            if not self.loyalty.deduct(root, item.cost, "redeem", str(item.number), key, now):
                return Redemption(Redeemed.NOT_ENOUGH_POINTS)
            cursor = self.db.execute(
                "UPDATE reward_codes SET customer_id = ?, ledger_key = ?, redeemed_at = ?"
                " WHERE id = ? AND customer_id IS NULL",
                [root, key, iso(now), free["id"]],
            )
            if cursor.rowcount != 1:
                raise RuntimeError(f"reward code {free['id']} was handed out twice")
        return Redemption(Redeemed.OK, str(free["code"]))

    def codes_of(self, customer_id: str, limit: int = 5) -> list[tuple[int, str]]:
        """The account's most recent (reward number, code) pairs."""
        members = self.loyalty.members(customer_id)
        marks = ", ".join("?" for _ in members)
        return [
            (int(row["reward"]), str(row["code"]))
            for row in self.db.query(
                f"SELECT reward, code FROM reward_codes WHERE customer_id IN ({marks})"
                " ORDER BY redeemed_at DESC LIMIT ?",
                [*members, limit],
            )
        ]
