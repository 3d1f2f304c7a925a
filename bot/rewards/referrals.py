"""Completes pending referrals when the shop reports a referred customer's order as paid."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.config import Config
from bot.core.message import Reply
from bot.core.texts import Texts
from bot.runtime.outgoing import Outgoing
from bot.store import Store


class PaidOrderReferrals:
    """With `referral_step = "order"`, a first paid order completes the buyer's referral."""

    def __init__(self, store: Store, outgoing: Outgoing, texts: Texts, config: Config) -> None:
        self.store = store
        self.outgoing = outgoing
        self.texts = texts
        self.config = config

    def complete(self, event_id: str, owners: list[str], now: datetime) -> list[dict[str, Any]]:
        """Credit both sides of each owner's pending referral; keyed by the event id, so once."""
        rules = self.config.rewards
        if not rules.enabled or rules.referral_step != "order":
            return []
        completed: list[dict[str, Any]] = []
        for owner in owners:
            done = self.store.loyalty.referrals.complete(
                owner, f"order-event:{event_id}:{owner}", now
            )
            if done is None:
                continue
            completed.append({"referrer_id": done.referrer_id, "referred_id": done.referred_id})
            for customer_id, key, points in (
                (done.referred_id, "rewards_referral_done_referred", done.referred_points),
                (done.referrer_id, "rewards_referral_done_referrer_order", done.referrer_points),
            ):
                if points:
                    text = self.texts.get(key, self._language(customer_id), points=points)
                    self.outgoing.notify(
                        customer_id, [Reply(text=text)], f"referral:{event_id}:{customer_id}"
                    )
        return completed

    def _language(self, customer_id: str) -> str:
        customer = self.store.customers.get(customer_id)
        return customer.language if customer is not None else self.config.bot.default_language
