"""Answers "where is my parcel?" and "my orders", only to the customer who owns the order."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from bot.core.errors import SourceUnavailable
from bot.core.message import Event, Message, MessageKind, Reply
from bot.core.order import NUMBER, Order, normalize_number
from bot.orders.reply import ANOTHER, answer, buttons, order_list
from bot.orders.service import (
    FLOW,
    OrderService,
    factor_matches,
    is_partial_factor,
    is_source_paused,
    needs_full_factor,
    record_failure,
)
from bot.orders.source import OrderSource, StoreSource
from bot.runtime.context import Context
from bot.runtime.router import MenuCommand, Route

CANCEL_WORDS = {"cancel", "取消", "stop", "退出"}
COMMANDS = {"/order": "start", "/orders": "list"}
_PUNCTUATION = "!！。.，,~～ "
_FACTOR = re.compile(r"[\d\s+()\-]{4,24}|[^@\s]+@[^@\s]+")
_NUMBER_ATTEMPT = re.compile(r"[A-Za-z]{0,4}[\d\s\-]{4,24}")
SEARCHED_CHARS = 4096  # the longest message any platform delivers
READABLE = (MessageKind.TEXT, MessageKind.VOICE, MessageKind.COMMAND)


@dataclass(frozen=True, slots=True)
class Intent:
    """What the customer asked: start (with or without a number), factor, list, cancel …"""

    action: str
    number: str | None = None
    factor: str | None = None


@lru_cache(maxsize=8)
def _pattern(source: str) -> re.Pattern[str]:
    return re.compile(source, re.IGNORECASE)


def find_number(text: str, ctx: Context) -> str | None:
    """The first order number in `text`, by the configured pattern."""
    # The pattern is the brand's own: bound the text it may backtrack over.
    found = _pattern(ctx.config.orders.number_pattern).search(text[:SEARCHED_CHARS])
    if found is None:
        return None
    return normalize_number(found.group(1) if found.re.groups else found.group(0))


def _typed(text: str) -> str:
    # Full-width digits and letters (ＣＬ１２３…, ５６７８) as typed by Chinese keyboards.
    return unicodedata.normalize("NFKC", text[:SEARCHED_CHARS]).strip()


def _pressed(message: Message) -> str | None:
    if message.kind is MessageKind.BUTTON or message.event == Event.MENU_CLICK:
        return message.payload or ""
    return None


def match_flow(message: Message, ctx: Context) -> Intent | None:
    """The answer to an open order-lookup question: a number, a second factor, or cancel."""
    if message.kind not in READABLE:
        return None
    state = ctx.store.states.get(ctx.customer.id, ctx.now())
    if state is None or state.flow != FLOW:
        return None
    text = _typed(message.text)
    if text.casefold().strip(_PUNCTUATION) in CANCEL_WORDS:
        return Intent("cancel")
    words = text.split()
    if words and words[0].split("@")[0].casefold() in COMMANDS:
        return None  # a command starts over; the command route takes it
    number = find_number(text, ctx)
    if number is not None:
        return Intent("start", number)
    step = state.slots.get("step")
    if step == "factor" and _FACTOR.fullmatch(text):
        return Intent("factor", str(state.slots.get("number", "")), text)
    if step == "number" and _NUMBER_ATTEMPT.fullmatch(text):
        return Intent("bad_number")
    return None  # something else (a question): other routes answer, the flow stays open


def match(message: Message, ctx: Context) -> Intent | None:
    """/order [number], /orders, the `orders.lookup`/`orders.list` payloads, or a number."""
    pressed = _pressed(message)
    if pressed is not None:
        if pressed == ANOTHER:
            return Intent("start")
        if pressed.startswith(ANOTHER + ":"):
            return Intent("start", normalize_number(pressed.partition(":")[2]) or None)
        return Intent("list") if pressed == "orders.list" else None
    if message.kind not in READABLE:
        return None
    text = _typed(message.text)
    words = text.split()
    command = words[0].split("@")[0].casefold() if words else ""
    if command in COMMANDS:
        number = find_number(text, ctx)
        if number is None and len(words) > 1 and NUMBER.match(words[1]):
            number = normalize_number(words[1])
        return Intent(COMMANDS[command], number)
    number = find_number(text, ctx)
    return Intent("start", number) if number else None


def _service(ctx: Context) -> OrderService | None:
    return ctx.service(OrderService)


def _source(ctx: Context) -> OrderSource:
    service = _service(ctx)
    return service.source if service is not None else StoreSource(ctx.store)


def _with_handoff(ctx: Context) -> bool:
    return "handoff.request" in ctx.actions


def _open(ctx: Context, step: str, number: str | None = None) -> None:
    minutes = ctx.config.orders.flow_minutes
    ctx.store.states.open(
        ctx.customer.id, FLOW, ctx.now(), timedelta(minutes=minutes),
        {"step": step, "number": number},
    )


def _close(ctx: Context) -> None:
    state = ctx.store.states.get(ctx.customer.id, ctx.now())
    if state is not None and state.flow == FLOW:
        ctx.store.states.clear(ctx.customer.id)


def _paused_reply(ctx: Context, minutes: int) -> list[Reply]:
    return [
        Reply(
            text=ctx.text("order_paused", minutes=max(minutes, 1)),
            buttons=buttons(ctx.text, _with_handoff(ctx))[1:],
        )
    ]


async def handle(message: Message, ctx: Context, intent: Intent) -> list[Reply]:
    """Ask for what is missing, check ownership, then answer about the order."""
    if intent.action == "cancel":
        _close(ctx)
        return [Reply(text=ctx.text("order_cancelled"))]
    paused = ctx.store.orders.attempts.paused_until(ctx.customer.id, ctx.now())
    if paused is not None:
        _close(ctx)
        return _paused_reply(ctx, math.ceil((paused - ctx.now()).total_seconds() / 60))
    if is_source_paused(ctx.store, ctx.config.orders, message.origin, ctx.clock):
        _close(ctx)
        return _paused_reply(ctx, int(ctx.config.orders.failure_window_minutes))
    if intent.action == "list":
        return await _list(ctx)
    if intent.action == "bad_number":
        _open(ctx, "number")
        return [Reply(text=ctx.text("order_bad_number"))]
    if intent.number is None:
        _open(ctx, "number")
        return [Reply(text=ctx.text("order_ask_number"))]
    return await _lookup(ctx, intent.number, intent.factor, message.origin)


async def _lookup(
    ctx: Context, number: str, factor: str | None, origin: str
) -> list[Reply]:
    customer_id = ctx.customer.id
    try:
        order = await _source(ctx).get(number)
    except SourceUnavailable:
        ctx.store.orders.pending.add(customer_id, number, factor, ctx.language, ctx.now())
        _close(ctx)
        service = _service(ctx)
        if service is not None:
            service.wake()
        return [Reply(text=ctx.text("order_slow"))]
    if order is not None and ctx.store.orders.access.owns(customer_id, order):
        _close(ctx)
        return [answer(order, ctx.text, _with_handoff(ctx))]
    if factor is None:
        # Asked whether the order exists or not, so the question itself reveals nothing.
        _open(ctx, "factor", number)
        return [Reply(text=ctx.text("order_ask_factor"))]
    if is_partial_factor(factor) and needs_full_factor(
        ctx.store, ctx.config.orders, number, ctx.clock
    ):
        # Asked of known and unknown orders alike, and not counted: it reveals nothing.
        _open(ctx, "factor", number)
        return [Reply(text=ctx.text("order_ask_full_factor"))]
    how = factor_matches(order, factor) if order is not None else None
    if order is not None and how is not None:
        ctx.store.orders.access.grant(customer_id, order.number, how, ctx.now())
        _close(ctx)
        return [answer(order, ctx.text, _with_handoff(ctx))]
    if record_failure(ctx.store, ctx.config.orders, customer_id, number, ctx.clock, origin):
        _close(ctx)
        return _paused_reply(ctx, int(ctx.config.orders.pause_minutes))
    _open(ctx, "factor", number)
    return [Reply(text=ctx.text("order_not_found"), buttons=buttons(ctx.text, _with_handoff(ctx)))]


async def _list(ctx: Context) -> list[Reply]:
    customer_id = ctx.customer.id
    settings = ctx.config.orders
    if not ctx.store.orders.access.is_verified(customer_id):
        _open(ctx, "number")
        return [Reply(text=ctx.text("order_list_unverified"))]
    orders: dict[str, Order] = {
        order.number: order
        for order in ctx.store.orders.access.for_customer(customer_id, settings.recent_orders)
    }
    if settings.source == "http":
        source = _source(ctx)
        verified = ctx.store.orders.access.verified_numbers(customer_id)
        for number in verified[: settings.recent_orders]:
            try:
                found = await source.get(number)
            except SourceUnavailable:
                return [Reply(text=ctx.text("order_list_slow"))]
            if found is not None:
                orders[number] = found
    if not orders:
        _open(ctx, "number")
        return [Reply(text=ctx.text("order_list_empty"))]
    recent = sorted(orders.values(), key=lambda order: order.placed_at, reverse=True)
    return [order_list(recent[: settings.recent_orders], ctx.text, _with_handoff(ctx))]


async def lookup_action(message: Message, ctx: Context) -> list[Reply]:
    """The KB action `orders.lookup` ("where is my parcel?")."""
    return await handle(message, ctx, Intent("start", find_number(message.text, ctx)))


async def list_action(message: Message, ctx: Context) -> list[Reply]:
    """The KB action `orders.list` ("my orders")."""
    return await handle(message, ctx, Intent("list"))


FLOW_ROUTE = Route(name="orders-flow", match=match_flow, handle=handle)
ROUTE = Route(
    name="orders", match=match, handle=handle,
    menu=(MenuCommand("order", "command_order"), MenuCommand("orders", "command_orders")),
)
