"""How an order is told to its owner: status in words, masked personal data, buttons."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.message import Button, Reply
from bot.core.order import Order, mask_email, mask_phone

# A canned-text getter in the customer's language: text(key, **values) -> str.
Text = Callable[..., str]

ANOTHER = "orders.lookup"
HANDOFF = "handoff"


def status_words(status: str, text: Text) -> str:
    """The status as the customer reads it."""
    return text(f"order_status_{status}")


def money(order: Order) -> str:
    """¥298.00, or 298.00 USD for other currencies."""
    return f"¥{order.amount}" if order.currency == "CNY" else f"{order.amount} {order.currency}"


def buttons(text: Text, with_handoff: bool) -> tuple[Button, ...]:
    """"Another order", and "talk to a person" when the bot can hand over."""
    offered = [Button(ANOTHER, text("order_button_another"))]
    if with_handoff:
        offered.append(Button(HANDOFF, text("button_human")))
    return tuple(offered)


def describe(order: Order, text: Text) -> str:
    """The order in a few lines; phone and email masked, the address only to city level."""
    items = "、".join(
        item.name if item.quantity == 1 else f"{item.name} ×{item.quantity}"
        for item in order.items
    )
    lines = [
        text("order_line_header", number=order.number, status=status_words(order.status, text)),
        text("order_line_items", items=items),
        text("order_line_amount", amount=money(order)),
    ]
    if order.carrier or order.tracking_number:
        lines.append(
            text("order_line_carrier", carrier=order.carrier or "—",
                 tracking=order.tracking_number or "—")
        )
    if order.expected_on and order.status in ("paid", "shipped"):
        lines.append(text("order_line_expected", date=order.expected_on))
    contact = mask_phone(order.phone) if order.phone else mask_email(order.email)
    parts = [part for part in (order.province, order.city) if part]
    # 浙江省杭州市 reads as one name; Latin names need a space.
    place = ("" if all(not part.isascii() for part in parts) else " ").join(
        dict.fromkeys(parts)
    )
    lines.append(text("order_line_contact", contact=contact, place=place or "—"))
    return "\n".join(lines)


def answer(order: Order, text: Text, with_handoff: bool) -> Reply:
    """The full answer about one order."""
    return Reply(text=describe(order, text), buttons=buttons(text, with_handoff))


def order_list(orders: Sequence[Order], text: Text, with_handoff: bool) -> Reply:
    """A customer's recent orders, one line each, with a button per order."""
    lines = [text("order_list_header")]
    for order in orders:
        lines.append(
            text(
                "order_list_line", number=order.number, date=order.placed_at[:10] or "—",
                status=status_words(order.status, text), amount=money(order),
            )
        )
    shown = tuple(Button(f"{ANOTHER}:{order.number}", order.number) for order in orders)
    return Reply(text="\n".join(lines), buttons=shown + buttons(text, with_handoff)[1:])
