"""/console: a one-time link that signs the staff member in to the staff console."""

from __future__ import annotations

from bot.core.message import Reply
from bot.runtime.context import Context
from bot.staff.signin import issue_link
from handlers.staff.command import Command, Invocation, text_reply, words


async def console_link(invocation: Invocation, ctx: Context) -> list[Reply]:
    """A sign-in link for the sender, working once for [console] link_minutes."""
    words(invocation.arguments, 0)
    if not ctx.config.console.enabled:
        return text_reply("The staff console is switched off ([console] enabled = false).")
    link = issue_link(ctx.store, ctx.config, invocation.staff, invocation.staff, ctx.now())
    minutes = ctx.config.console.link_minutes
    return text_reply(
        f"Your sign-in link for the staff console (works once, for {minutes} minutes;"
        " do not forward it):",
        link,
    )


# Private chats only (the default): a link in a group would let anyone there in.
COMMANDS = (
    Command("console", "agent", "/console — a one-time link to sign in to the staff console",
            console_link, ("后台",)),
)
