"""Completes pending referrals when the shop reports a referred customer's order as paid."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.message import Reply
from bot.pipeline import Pipeline
from bot.store import Store


def complete_on_paid(
    store: Store, pipeline: Pipeline, event_id: str, owners: list[str], now: datetime
) -> list[dict[str, Any]]:
    """Credit both sides of each owner's pending referral; keyed by the event id, so once."""
    rules = pipeline.config.rewards
    if not rules.enabled or rules.referral_step != "order":
        return []
    completed: list[dict[str, Any]] = []
    for owner in owners:
        done = store.loyalty.referrals.complete(owner, f"order-event:{event_id}:{owner}", now)
        if done is None:
            continue
        completed.append({"referrer_id": done.referrer_id, "referred_id": done.referred_id})
        for customer_id, key, points in (
            (done.referred_id, "rewards_referral_done_referred", done.referred_points),
            (done.referrer_id, "rewards_referral_done_referrer_order", done.referrer_points),
        ):
            if points:
                text = pipeline.texts.get(key, _language(store, pipeline, customer_id),
                                          points=points)
                pipeline.notify(customer_id, [Reply(text=text)],
                                f"referral:{event_id}:{customer_id}")
    return completed


def _language(store: Store, pipeline: Pipeline, customer_id: str) -> str:
    customer = store.customers.get(customer_id)
    return customer.language if customer is not None else pipeline.config.bot.default_language
