"""ROUTES: the one place where the priority of handlers is decided; ACTIONS for KB actions."""

from __future__ import annotations

from collections.abc import Mapping

from bot.context import Action
from bot.router import Route
from handlers import (
    admin,
    fallback,
    faq,
    feedback,
    handoff,
    orders,
    reaction,
    rewards,
    subscription,
    welcome,
)

# Dispatch order (architecture.md): admin → handoff → open flow → events/commands → FAQ → fallback.
ROUTES: tuple[Route, ...] = (
    admin.ROUTE,
    handoff.ROUTE,
    orders.FLOW_ROUTE,
    rewards.ROUTE,
    welcome.ROUTE,
    subscription.ROUTE,
    reaction.ROUTE,
    feedback.ROUTE,
    orders.ROUTE,
    faq.ROUTE,
    fallback.ROUTE,
)

# KB entries with `action = "<name>"` run these instead of showing an answer.
ACTIONS: Mapping[str, Action] = {
    "orders.lookup": orders.lookup_action,
    "orders.list": orders.list_action,
    "handoff.request": handoff.request,
    **rewards.ACTIONS,
}
