"""ROUTES: the one place where the priority of handlers is decided; ACTIONS for KB actions."""

from __future__ import annotations

from collections.abc import Mapping

from bot.context import Action
from bot.router import Route
from handlers import fallback, faq, feedback, orders, reaction, rewards, welcome

# Dispatch order (architecture.md): admin → handoff → open flow → events/commands → FAQ → fallback.
ROUTES: tuple[Route, ...] = (
    orders.FLOW_ROUTE,
    rewards.ROUTE,
    welcome.ROUTE,
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
    **rewards.ACTIONS,
}
