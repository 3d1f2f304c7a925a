"""The order model: one shop order, its status ranks, and what a customer may be shown of it.

Which report of an order's status is the newer: the shop's times, else the order of statuses.
Webhooks arrive out of order (a retry of "shipped" after "delivered"). An event that carries
the time the status changed is compared with the time of the status the order has; one
without is compared by rank, so it can only move an order forward. Cancelled and refunded are
final: only each other follows them without a time saying otherwise.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.core.errors import OrderError

STATUSES = ("pending", "paid", "shipped", "delivered", "refunded", "cancelled")
NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ITEM_CHARS = 300  # checked before _ITEM, whose lazy name would backtrack on a long line
_ITEM = re.compile(r"^(?P<name>.+?)\s*[x×*]\s*(?P<quantity>\d+)$")
# 199,5 or 199,50: a spreadsheet where the decimal mark is a comma. "1,234" stays an error:
# it could as well be a thousand.
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")


@dataclass(frozen=True, slots=True)
class Item:
    """One line of an order."""

    name: str
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class Order:
    """What a customer may see about an order, plus what proves it is theirs."""

    number: str
    status: str
    items: tuple[Item, ...]
    amount: Decimal
    currency: str = "CNY"
    carrier: str = ""
    tracking_number: str = ""
    expected_on: str = ""  # YYYY-MM-DD
    phone: str = ""
    email: str = ""
    customer_id: str = ""
    province: str = ""
    city: str = ""
    address: str = ""
    placed_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (the import and API shape)."""
        return {
            "number": self.number,
            "status": self.status,
            "items": [{"name": item.name, "quantity": item.quantity} for item in self.items],
            "amount": str(self.amount),
            "currency": self.currency,
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "expected_on": self.expected_on,
            "phone": self.phone,
            "email": self.email,
            "customer_id": self.customer_id,
            "province": self.province,
            "city": self.city,
            "address": self.address,
            "placed_at": self.placed_at,
        }


def normalize_number(text: str) -> str:
    """Order numbers compare without case or surrounding spaces."""
    return text.strip().upper()


def phone_digits(text: str) -> str:
    """Only the digits of a phone number, as ASCII whatever digits it was typed in ("５６７８")."""
    return "".join(
        str(unicodedata.decimal(character)) for character in text if character.isdecimal()
    )


def same_phone(first: str, second: str) -> bool:
    """Whether two numbers are the same line, with or without a country code (+86 …)."""
    a, b = phone_digits(first), phone_digits(second)
    if len(a) < 7 or len(b) < 7:
        return False
    shorter, longer = sorted((a, b), key=len)
    return longer.endswith(shorter) and len(longer) - len(shorter) <= 4


def mask_phone(phone: str) -> str:
    """`138****5678`: enough for the customer to recognise, useless to anyone else."""
    digits = phone_digits(phone)
    if len(digits) >= 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:]


def mask_email(email: str) -> str:
    """`z***@example.com`."""
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}" if domain else "***"


def _text(data: Mapping[str, Any], key: str, limit: int = 200) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise OrderError(f"{key} must be text")
    text = str(value).strip()
    if len(text) > limit:
        raise OrderError(f"{key} is longer than {limit} characters")
    return text


def parse_items(value: Any) -> tuple[Item, ...]:
    """Items from a list of {name, quantity} / strings, or text like `Longjing 100g x2; Cup`."""
    if isinstance(value, str):
        value = [part for part in re.split(r"[;；\n]", value) if part.strip()]
    if not isinstance(value, list) or not value:
        raise OrderError("items must list at least one item")
    items = []
    for entry in value:
        if isinstance(entry, str):
            if len(entry) > ITEM_CHARS:
                raise OrderError(f"an item is longer than {ITEM_CHARS} characters")
            found = _ITEM.match(entry.strip())
            name, quantity = (
                (found["name"], int(found["quantity"])) if found else (entry.strip(), 1)
            )
        elif isinstance(entry, dict):
            name = str(entry.get("name", "")).strip()
            raw = entry.get("quantity", 1)
            if isinstance(raw, bool) or not isinstance(raw, int | str):
                raise OrderError("item quantity must be a whole number")
            try:
                quantity = int(raw)
            except ValueError:
                raise OrderError(f"item quantity {raw!r} is not a whole number") from None
        else:
            raise OrderError("each item must be text or {name, quantity}")
        if not name or len(name) > 200:
            raise OrderError("an item has no name (or one over 200 characters)")
        if not 1 <= quantity <= 10000:
            raise OrderError(f"item {name!r}: quantity must be between 1 and 10000")
        items.append(Item(name, quantity))
    return tuple(items)


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None or value == "":
        raise OrderError("amount is required")
    text = str(value).strip().lstrip("¥$")
    if _DECIMAL_COMMA.fullmatch(text):
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise OrderError(f"amount {value!r} is not a number") from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("100000000"):
        raise OrderError(f"amount {value!r} must be between 0 and 100000000")
    return amount.quantize(Decimal("0.01"))


def order_from_record(data: Mapping[str, Any]) -> Order:
    """An Order from an import row or an API answer; OrderError names the first problem."""
    number = normalize_number(_text(data, "number", 64))
    if not NUMBER.match(number):
        raise OrderError(f"number {number!r} must be 3-64 letters, digits, '-' or '_'")
    status = _text(data, "status", 20).lower()
    if status not in STATUSES:
        raise OrderError(f"status {status!r} must be one of {', '.join(STATUSES)}")
    phone = _text(data, "phone", 30)
    if phone and not 7 <= len(phone_digits(phone)) <= 15:
        raise OrderError(f"phone {phone!r} must have 7 to 15 digits")
    email = _text(data, "email", 200)
    if email and not EMAIL.match(email):
        raise OrderError(f"email {email!r} is not an email address")
    if not phone and not email:
        raise OrderError("phone or email is required (the customer proves ownership with it)")
    expected = _text(data, "expected_on", 10)
    if expected:
        try:
            date.fromisoformat(expected)
        except ValueError:
            raise OrderError(f"expected_on {expected!r} must be a date like 2026-11-25") from None
    currency = (_text(data, "currency", 3) or "CNY").upper()
    if not currency.isalpha() or len(currency) != 3:
        raise OrderError(f"currency {currency!r} must be a 3-letter code")
    return Order(
        number=number,
        status=status,
        items=parse_items(data.get("items")),
        amount=_amount(data.get("amount")),
        currency=currency,
        carrier=_text(data, "carrier", 60),
        tracking_number=_text(data, "tracking_number", 60),
        expected_on=expected,
        phone=phone,
        email=email,
        customer_id=_text(data, "customer_id", 64),
        province=_text(data, "province", 60),
        city=_text(data, "city", 60),
        address=_text(data, "address", 300),
        placed_at=_text(data, "placed_at", 40),
    )


def order_from_row(row: Mapping[str, Any]) -> Order:
    """An Order from a row of the orders table."""
    return Order(
        number=row["number"],
        status=row["status"],
        items=tuple(Item(item["name"], item["quantity"]) for item in json.loads(row["items"])),
        amount=Decimal(row["amount"]),
        currency=row["currency"],
        carrier=row["carrier"],
        tracking_number=row["tracking_number"],
        expected_on=row["expected_on"],
        phone=row["phone"],
        email=row["email"],
        customer_id=row["customer_id"],
        province=row["province"],
        city=row["city"],
        address=row["address"],
        placed_at=row["placed_at"],
    )

# Every one of STATUSES (tests/test_order_status.py checks it).
RANK = {"pending": 0, "paid": 1, "shipped": 2, "delivered": 3, "cancelled": 4, "refunded": 4}


@dataclass(frozen=True, slots=True)
class StatusMark:
    """An order's status and when it took effect (None when that is not known)."""

    status: str
    at: datetime | None = None


def is_stale(report: StatusMark, current: StatusMark | None) -> bool:
    """Whether `report` is older than the status the order already has.

    Equal times or ranks are not older: the shop may repeat a status with new details.
    """
    if current is None:
        return False
    if report.at is not None and current.at is not None and report.at != current.at:
        return report.at < current.at
    return RANK[report.status] < RANK[current.status]
