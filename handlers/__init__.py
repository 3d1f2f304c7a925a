"""ROUTES: the one place where the priority of handlers is decided; ACTIONS for KB actions."""

from __future__ import annotations

from collections.abc import Mapping

from bot.context import Action
from bot.router import Route
from handlers import admin, fallback, faq, handoff, subscription, welcome

# Dispatch order (architecture.md): admin → handoff → open flow → events/commands → FAQ → fallback.
ROUTES: tuple[Route, ...] = (
    admin.ROUTE,
    handoff.ROUTE,
    welcome.ROUTE,
    subscription.ROUTE,
    faq.ROUTE,
    fallback.ROUTE,
)

# KB entries with `action = "<name>"` run these instead of showing an answer.
ACTIONS: Mapping[str, Action] = {
    "handoff.request": handoff.request,
}
