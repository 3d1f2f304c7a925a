"""The chat turn's behaviour, registered in one place: the routes in priority order, the staff
commands as one table, and the actions knowledge-base entries may name.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.runtime.context import Action
from bot.runtime.router import Route
from handlers.conversation import (
    context,
    fallback,
    identity,
    reaction,
    small_talk,
    subscription,
    welcome,
)
from handlers.kb import commands as kb_commands
from handlers.kb import faq, feedback, review
from handlers.orders import lookup
from handlers.rewards import commands as rewards_commands
from handlers.rewards import route as rewards
from handlers.staff import console, customers, handoff, ops, queue
from handlers.staff.admin import CommandTable, staff_route

# Staff commands of every feature (/help lists them in this order).
COMMANDS = CommandTable(
    (
        *queue.COMMANDS, *customers.COMMANDS, *kb_commands.COMMANDS, *review.COMMANDS,
        *ops.COMMANDS, *rewards_commands.COMMANDS, *console.COMMANDS,
    ),
    # Dry runs that /confirm carries out.
    {**ops.CONFIRMED, **rewards_commands.CONFIRMED},
)

# Dispatch order (docs/architecture.md): staff commands → handoff → distress → open flow →
# short replies in context → events/commands → small talk → FAQ → fallback.
ROUTES: tuple[Route, ...] = (
    staff_route(COMMANDS),
    identity.ROUTE,
    handoff.ROUTE,
    small_talk.DISTRESS_ROUTE,
    lookup.FLOW_ROUTE,
    context.ROUTE,
    rewards.ROUTE,
    welcome.ROUTE,
    subscription.ROUTE,
    reaction.ROUTE,
    feedback.ROUTE,
    lookup.ROUTE,
    small_talk.COMPLAINT_ROUTE,
    small_talk.ROUTE,
    faq.ROUTE,
    fallback.ROUTE,
)

# KB entries with `action = "<name>"` run these instead of showing an answer.
ACTIONS: Mapping[str, Action] = {
    "orders.lookup": lookup.lookup_action,
    "orders.list": lookup.list_action,
    "handoff.request": handoff.request,
    **rewards.ACTIONS,
}
