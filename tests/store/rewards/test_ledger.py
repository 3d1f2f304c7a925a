"""A stateful property test of the ledger: earn, spend, redeem, expire, link, redelivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from bot.config.rewards import RewardItem, RewardsSettings
from bot.store import open_store
from bot.store.rewards.catalogue import Redeemed
from bot.store.rewards.links import Linked

CUSTOMERS = st.sampled_from(["a", "b", "c"])
KEYS = st.sampled_from([f"telegram:{n}:earn" for n in range(12)])
REWARD = RewardItem(1, "券", "coupon", cost=30, generate=4, prefix="T-")


class LedgerMachine(RuleBasedStateMachine):
    """Drives the store's loyalty API and checks the ledger's invariants after every step."""

    @initialize()
    def open(self) -> None:
        self.store = open_store(":memory:")
        self.loyalty = self.store.loyalty
        self.now = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)
        rules = RewardsSettings(points_expiry="months", expiry_months=1, catalogue=(REWARD,))
        self.loyalty.configure(rules, ZoneInfo("Asia/Shanghai"), Path, self.now)
        self.used_keys: set[str] = set()
        self.serial = 0

    def teardown(self) -> None:
        if hasattr(self, "store"):
            self.store.close()

    def key(self, purpose: str) -> str:
        self.serial += 1
        return f"web:m{self.serial}:{purpose}"

    @rule(customer=CUSTOMERS, points=st.integers(1, 60), key=KEYS)
    def earn(self, customer: str, points: int, key: str) -> None:
        before = self.loyalty.balance(customer, self.now)
        fresh = key not in self.used_keys
        assert self.loyalty.award(customer, points, "checkin", "", key, self.now) is fresh
        self.used_keys.add(key)
        after = self.loyalty.balance(customer, self.now)
        assert after == before + (points if fresh else 0)

    @rule(customer=CUSTOMERS, points=st.integers(1, 80), duplicate=st.booleans())
    def spend(self, customer: str, points: int, duplicate: bool) -> None:
        key = self.key("spend")
        before = self.loyalty.balance(customer, self.now)
        done = self.loyalty.deduct(customer, points, "spend", "", key, self.now)
        assert done is (before >= points)
        if duplicate:  # the platform delivers the same message again
            assert not self.loyalty.deduct(customer, points, "spend", "", key, self.now)
        self.used_keys.add(key)
        assert self.loyalty.balance(customer, self.now) == before - (points if done else 0)

    @rule(customer=CUSTOMERS)
    def redeem(self, customer: str) -> None:
        key = self.key("redeem")
        before = self.loyalty.balance(customer, self.now)
        left = self.loyalty.catalogue.left(1)
        result = self.loyalty.catalogue.redeem(customer, REWARD, key, self.now)
        if result.outcome is Redeemed.OK:
            assert before >= REWARD.cost and left > 0
            assert self.loyalty.balance(customer, self.now) == before - REWARD.cost
            assert self.loyalty.catalogue.left(1) == left - 1
            self.used_keys.add(key)
            again = self.loyalty.catalogue.redeem(customer, REWARD, key, self.now)
            assert again.outcome is Redeemed.REPEAT and again.code == result.code
        else:
            assert result.outcome in (Redeemed.NOT_ENOUGH_POINTS, Redeemed.OUT_OF_STOCK)
            assert self.loyalty.balance(customer, self.now) == before
            assert self.loyalty.catalogue.left(1) == left

    @rule(days=st.integers(1, 40))
    def time_passes(self, days: int) -> None:
        before = {c: self.loyalty.balance(c, self.now) for c in "abc"}
        self.now += timedelta(days=days)
        for customer, points in before.items():
            assert self.loyalty.balance(customer, self.now) <= points

    @rule(owner=CUSTOMERS, sender=CUSTOMERS)
    def link(self, owner: str, sender: str) -> None:
        same = self.loyalty.root(owner) == self.loyalty.root(sender)
        total = self.loyalty.balance(owner, self.now) + (
            0 if same else self.loyalty.balance(sender, self.now)
        )
        code = self.loyalty.links.issue(owner, self.now)
        outcome = self.loyalty.links.use(code, sender, self.now)
        assert outcome is (Linked.SAME if same else Linked.MERGED)
        assert self.loyalty.links.use(code, sender, self.now) is not Linked.MERGED
        assert self.loyalty.root(owner) == self.loyalty.root(sender)
        assert self.loyalty.balance(sender, self.now) == total

    @invariant()
    def balances_are_ledger_sums_and_never_negative(self) -> None:
        if not hasattr(self, "store"):
            return
        for customer in "abc":
            balance = self.loyalty.balance(customer, self.now)
            assert balance == self.loyalty.ledger_sum(customer)
            assert balance >= 0
            lots = self.loyalty._lots(self.loyalty._rows(customer))
            assert sum(lot.remaining for lot in lots) == balance

    @invariant()
    def no_key_twice_and_no_code_twice(self) -> None:
        if not hasattr(self, "store"):
            return
        db = self.store.db
        assert db.scalar("SELECT count(*) - count(DISTINCT idempotency_key) FROM ledger") == 0
        assert db.scalar(
            "SELECT count(*) FROM reward_codes WHERE customer_id IS NOT NULL"
        ) == db.scalar("SELECT count(*) FROM ledger WHERE reason = 'redeem'")
        assert self.loyalty.catalogue.left(1) >= 0


LedgerMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedger = LedgerMachine.TestCase


def test_the_ledger_refuses_updates_and_deletes() -> None:
    store = open_store(":memory:")
    now = datetime(2026, 1, 5, tzinfo=UTC)
    store.loyalty.award("a", 5, "checkin", "", "k1", now)
    with pytest.raises(Exception, match="append-only"):
        store.db.execute("UPDATE ledger SET points = 500")
    with pytest.raises(Exception, match="append-only"):
        store.db.execute("DELETE FROM ledger")
    assert store.loyalty.balance("a", now) == 5
    store.close()


def test_a_spend_before_a_merge_used_only_its_own_account_credits() -> None:
    """Found by the state machine: after linking, a spend made before the merge must not be
    replayed against the other side's credit (which then expired twice)."""
    store = open_store(":memory:")
    loyalty = store.loyalty
    now = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)
    rules = RewardsSettings(points_expiry="months", expiry_months=1, catalogue=(REWARD,))
    loyalty.configure(rules, ZoneInfo("Asia/Shanghai"), Path, now)
    loyalty.award("c", 1, "checkin", "", "k-c", now)
    loyalty.award("a", 30, "checkin", "", "k-a", now)
    assert loyalty.catalogue.redeem("a", REWARD, "k-redeem", now).outcome is Redeemed.OK
    now += timedelta(days=16)
    loyalty.award("a", 1, "checkin", "", "k-a2", now)
    now += timedelta(days=15)  # c's point expires exactly now
    assert (loyalty.balance("a", now), loyalty.balance("c", now)) == (1, 0)
    assert loyalty.links.use(loyalty.links.issue("a", now), "c", now) is Linked.MERGED
    assert loyalty.balance("c", now) == loyalty.balance("a", now) == 1
    store.close()
