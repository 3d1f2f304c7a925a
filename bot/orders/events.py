"""The shop's status events (POST /api/orders/events): signed with HMAC-SHA256, applied once.

An event older than the order's status (bot/core/order.py) is kept, marked stale, and changes
nothing and tells nobody.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.config import Config
from bot.core.clock import Clock, iso
from bot.core.errors import PayloadError
from bot.core.message import Button, Notice, NoticeKind, Reply
from bot.core.order import NUMBER, Order, StatusMark, is_stale, normalize_number
from bot.core.payload import decode_json, header_bytes
from bot.core.texts import Texts
from bot.orders.reply import ANOTHER
from bot.runtime.outgoing import Outgoing
from bot.store import Store

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Brandbot-Signature"
EVENT_STATUSES = ("paid", "shipped", "delivered", "refunded", "cancelled")
# An occurred_at further ahead of our clock is refused: kept, it would make every real event
# after it look older until that time came. Most often it is local time sent as UTC.
CLOCK_SKEW = timedelta(minutes=15)
TIME_EXAMPLE = "2026-11-25T14:03:00+08:00"


def sign(secret: str, body: bytes) -> str:
    """The signature header value for `body`: `sha256=<hex>`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def is_signed(secret: str, body: bytes, header: str) -> bool:
    """Whether the header carries the body's signature (compared in constant time)."""
    # Bytes, not str: compare_digest refuses non-ASCII strings with a TypeError (a 500).
    expected = sign(secret, body).encode("ascii")
    return bool(secret) and hmac.compare_digest(expected, header_bytes(header.strip()))


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One status change of one order."""

    event_id: str
    number: str
    status: str
    carrier: str = ""
    tracking_number: str = ""
    expected_on: str = ""
    occurred_at: datetime | None = None  # when the status changed in the shop, if it says


def _field(data: dict[str, Any], key: str, limit: int, *, required: bool = False) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise PayloadError(f"{key} must be a string")
    value = value.strip()
    if required and not value:
        raise PayloadError(f"{key} is required")
    if len(value) > limit:
        raise PayloadError(f"{key} must be at most {limit} characters")
    return value


def _moment(text: str, now: datetime) -> datetime:
    """An event's own time, in UTC; PayloadError for one without an offset or from the future."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError(f"occurred_at must be a time like {TIME_EXAMPLE}") from None
    if moment.tzinfo is None:
        raise PayloadError(f"occurred_at needs its UTC offset, like {TIME_EXAMPLE} or …Z")
    if moment - now > CLOCK_SKEW:
        minutes = int((moment - now).total_seconds() // 60)
        raise PayloadError(
            f"occurred_at is {minutes} minutes ahead of the bot's clock: is its UTC offset right?"
        )
    return moment.astimezone(UTC)


def parse_event(body: bytes, now: datetime) -> OrderEvent:
    """The event in a request body received `now`; PayloadError says what is wrong."""
    data = decode_json(body)
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    number = normalize_number(_field(data, "order_number", 64, required=True))
    if not NUMBER.match(number):
        raise PayloadError("order_number is not an order number")
    status = _field(data, "status", 20, required=True).lower()
    if status not in EVENT_STATUSES:
        raise PayloadError(f"status must be one of {', '.join(EVENT_STATUSES)}")
    occurred = _field(data, "occurred_at", 40)
    event = OrderEvent(
        event_id=_field(data, "event_id", 128, required=True),
        number=number,
        status=status,
        carrier=_field(data, "carrier", 60),
        tracking_number=_field(data, "tracking_number", 60),
        expected_on=_field(data, "expected_on", 10),
        occurred_at=_moment(occurred, now) if occurred else None,
    )
    if status == "shipped" and not (event.carrier and event.tracking_number):
        raise PayloadError("a shipped event needs carrier and tracking_number")
    if event.expected_on:
        try:
            date.fromisoformat(event.expected_on)
        except ValueError:
            raise PayloadError("expected_on must be a date like 2026-11-25") from None
    return event


# Credits what a paid order completes (referrals): (event id, owners, now) -> what it did.
OnPaid = Callable[[str, list[str], datetime], list[dict[str, Any]]]


def no_referrals(event_id: str, owners: list[str], now: datetime) -> list[dict[str, Any]]:
    """The `on_paid` of a bot whose rewards do not count paid orders."""
    return []


class OrderEvents:
    """Receives the shop's signed events: 401 unsigned, 400 (a dead letter) unparseable."""

    def __init__(
        self, store: Store, outgoing: Outgoing, texts: Texts, config: Config, clock: Clock,
        on_paid: OnPaid = no_referrals,
    ) -> None:
        self.store = store
        self.outgoing = outgoing
        self.texts = texts
        self.config = config
        self.clock = clock
        self.on_paid = on_paid

    def receive(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """Verify the signature, then apply the event: (HTTP status, JSON answer)."""
        secret = self.config.orders.events_secret
        if not is_signed(secret, body, headers.get(SIGNATURE_HEADER.lower(), "")):
            log.warning("order event refused: %s", "bad signature" if secret else "no secret set")
            return 401, {"error": f"missing or wrong {SIGNATURE_HEADER}"
                         " (sha256=<hex HMAC of body>)"}
        try:
            event = parse_event(body, self.clock.now())
        except PayloadError as error:
            self.store.dead_letters.add("orders", str(error), headers, body, self.clock.now())
            return 400, {"error": str(error)}
        return 200, self.apply(event, body)

    def apply(self, event: OrderEvent, body: bytes) -> dict[str, Any]:
        """Update the order and tell its owners, once per event id; returns what happened."""
        store = self.store
        now = self.clock.now()
        with store.transaction():
            current = store.orders.current_status(event.number)
            stale = is_stale(StatusMark(event.status, event.occurred_at), current)
            if not store.orders.events.claim(
                event.event_id, event.number, event.status, body.decode("utf-8", "replace"), now,
                occurred_at=event.occurred_at, stale=stale,
            ):
                return {**(store.orders.events.result(event.event_id) or {}), "duplicate": True}
            before = store.orders.get(event.number)
            if stale:
                order = before
            else:
                order = store.orders.apply_status(
                    event.number, event.status, now, status_at=event.occurred_at,
                    carrier=event.carrier, tracking_number=event.tracking_number,
                    expected_on=event.expected_on,
                )
            owners = store.orders.access.owners(
                event.number, phone=order.phone if order else "",
                customer_id=order.customer_id if order else "",
            )
            notified: list[dict[str, str]] = []
            not_delivered: list[dict[str, str]] = []
            # A repeat of the status the order has, with nothing new about its delivery, is no
            # news: the shop re-sent it under another id, and the customer heard it already.
            repeated = (
                not stale and current is not None and current.status == event.status
                and _delivery(before) == _delivery(order)
            )
            for customer_id in [] if stale or repeated else owners:
                customer = store.customers.get(customer_id)
                language = customer.language if customer else self.config.bot.default_language
                reply = self._event_reply(event, language)
                platform = self.outgoing.notify(
                    customer_id, [reply], f"order-event:{event.event_id}:{customer_id}"
                )
                if platform is None:
                    not_delivered.append(
                        {"customer_id": customer_id,
                         "reason": "no platform with an open messaging window"}
                    )
                else:
                    notified.append({"customer_id": customer_id, "platform": platform})
            result: dict[str, Any] = {
                "event_id": event.event_id,
                "order_number": event.number,
                "status": event.status,
                "order_updated": order is not None and not stale,
                "notified": notified,
                "not_delivered": not_delivered,
                "duplicate": False,
                "stale": stale,
            }
            if event.status == "paid":
                # Even a late "paid" (a retry after "shipped") reports a payment that happened.
                referrals = self.on_paid(event.event_id, owners, now)
                if referrals:
                    result["referrals_completed"] = referrals
            if repeated:
                result["note"] = "the order already had this status: nobody was sent it again"
            elif stale and current is not None:
                since = f" since {iso(current.at)}" if current.at else ""
                result["note"] = (
                    f"older than the order's current status ({current.status}{since}):"
                    " the order is unchanged and nobody was sent a status message"
                )
            elif not owners:
                result["note"] = "no customer is known to own this order: nobody was told"
            store.orders.events.set_result(event.event_id, result)
        log.info(
            "order event %s: %s%s, %d notified, %d not delivered", event.event_id, event.status,
            " (stale, ignored)" if stale else "", len(notified), len(not_delivered),
        )
        return result

    def _event_reply(self, event: OrderEvent, language: str) -> Reply:
        text = functools.partial(self.texts.get, language=language)
        lines = [
            text(f"order_event_{event.status}", number=event.number, carrier=event.carrier,
                 tracking=event.tracking_number)
        ]
        if event.expected_on and event.status == "shipped":
            lines.append(text("order_line_expected", date=event.expected_on))
        # What it means, for the platforms' templates outside their messaging windows.
        notice = Notice(NoticeKind(f"order_{event.status}"), {
            "number": event.number, "status": event.status, "carrier": event.carrier,
            "tracking": event.tracking_number, "expected_on": event.expected_on,
        }, language)
        return Reply(
            text="\n".join(lines),
            buttons=(Button(f"{ANOTHER}:{event.number}", text("order_button_details")),),
            notice=notice,
        )


def _delivery(order: Order | None) -> tuple[str, str, str]:
    """The details of an order a status message tells (an order not stored has none)."""
    if order is None:
        return ("", "", "")
    return (order.carrier, order.tracking_number, order.expected_on)
