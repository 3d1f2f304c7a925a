"""WhatsApp's own links: wa.me click-to-chat with the first message prefilled."""

from __future__ import annotations

from urllib.parse import quote

from bot.core.adapter import Invite, InviteKind


def click_to_chat(number: str, text: str) -> str:
    """A wa.me link that opens a chat with `number` and `text` typed in (not yet sent)."""
    return f"https://wa.me/{number}?text={quote(text)}"


class WhatsAppPlatform:
    """What WhatsApp offers features: click-to-chat links; no follow event at all."""

    name = "whatsapp"
    # There is no follow event: the first message a customer sends is their arrival.
    arrives_by_message = True

    def __init__(self, number: str) -> None:
        self.number = number

    def invite(self, payload: str, prefill: str) -> Invite | None:
        """A click-to-chat link whose prefilled text carries the code, when a number is set."""
        if not self.number:
            return None
        return Invite(InviteKind.LINK, click_to_chat(self.number, prefill))
