"""Staff commands in the chat: the command table, roles, private-chat rule, /audit, /confirm.

A command from someone who is not staff is not ours: `match` returns None and the message
goes on to the other routes like any customer message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.context import Context
from bot.message import Message, MessageKind, Reply
from bot.router import Route
from handlers import (
    admin_customers,
    admin_handoff,
    admin_kb,
    admin_ops,
    admin_points,
    admin_review,
)
from handlers.admin_command import (
    Command,
    Confirmed,
    Invocation,
    UsageError,
    text_reply,
    words,
)
from handlers.staff import ROLES, allows, in_staff_chat, role_of, staff_id

log = logging.getLogger(__name__)

AUDIT_LIMIT = 50


async def show_help(invocation: Invocation, ctx: Context) -> list[Reply]:
    """The commands the sender's role may use."""
    words(invocation.arguments, 0)
    return text_reply(f"You are {invocation.staff} ({invocation.role}).", *usable(invocation.role))


async def show_audit(invocation: Invocation, ctx: Context) -> list[Reply]:
    """The latest audit rows."""
    parts = invocation.arguments.split()
    if len(parts) > 1 or (parts and not (parts[0].isdigit() and 0 < int(parts[0]) <= AUDIT_LIMIT)):
        raise UsageError
    entries = ctx.store.staff.recent_audit(int(parts[0]) if parts else 10)
    if not entries:
        return text_reply("The audit log is empty.")
    lines = []
    for entry in entries:
        change = ""
        if entry.before is not None or entry.after is not None:
            change = f" {_short(entry.before)} → {_short(entry.after)}"
        lines.append(
            f"{entry.created_at:%Y-%m-%d %H:%M} {entry.staff} {entry.action} {entry.target}"
            f"{change}"
        )
    return text_reply(*lines)


async def confirm(invocation: Invocation, ctx: Context) -> list[Reply]:
    """Carry out a change shown as a dry run, by its code."""
    (code,) = words(invocation.arguments, 1)
    confirmation = ctx.store.staff.use_confirmation(code, invocation.staff, ctx.now())
    if confirmation is None:
        return text_reply(f"No pending change with code {code.upper()} (wrong, used or expired).")
    command = COMMANDS.get(confirmation.action)
    run = CONFIRMED.get(confirmation.action)
    if command is None or run is None or not allows(invocation.role, command.role):
        return text_reply(f"{confirmation.action} can no longer be confirmed by you.")
    return await run(invocation, ctx, confirmation.arguments)


OWN_COMMANDS = (
    Command("help", "agent", "/help — the commands you may use", show_help, ("帮助",), True),
    Command("audit", "admin", "/audit [count] — the latest staff changes", show_audit, ("审计",)),
    Command("confirm", "agent", "/confirm <code> — carry out a dry-run change", confirm,
            ("确认",)),
)

# The one command table; a new command (e.g. /grant) is one entry in one of these tuples.
COMMANDS: dict[str, Command] = {
    command.name: command
    for group in (
        OWN_COMMANDS, admin_handoff.COMMANDS, admin_customers.COMMANDS, admin_kb.COMMANDS,
        admin_review.COMMANDS, admin_ops.COMMANDS, admin_points.COMMANDS,
    )
    for command in group
}
# Actions that wait for /confirm: the name of the command that asked, and how to carry it out.
CONFIRMED: dict[str, Confirmed] = {**admin_ops.CONFIRMED, **admin_points.CONFIRMED}
# Chinese names: whole commands ("统计" → "stats"), groups ("知识库" → "kb") and, for a
# subcommand, its second word ("知识库 找" → "kb find").
GROUP_ALIASES = {"知识库": "kb"}
ALIASES: dict[str, str] = {
    alias: command.name for command in COMMANDS.values() for alias in command.aliases
    if " " not in command.name
}
SUB_ALIASES: dict[str, str] = {
    f"{command.name.split(' ', 1)[0]} {alias}": command.name
    for command in COMMANDS.values() if " " in command.name for alias in command.aliases
}
GROUPS = {name.split(" ", 1)[0] for name in COMMANDS if " " in name}


def usable(role: str) -> list[str]:
    """Usage lines of every command `role` may run."""
    return [command.usage for command in COMMANDS.values() if allows(role, command.role)]


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if value is not None else "∅"
    return text if len(text) <= 80 else text[:77] + "…"


def parse(text: str) -> tuple[Command | None, str, str]:
    """The command a typed line names, the text after it, and the group if only that matched."""
    head, _, rest = text.strip()[1:].partition(" ")
    head = head.split("@", 1)[0].casefold()  # Telegram groups write /stats@brand_bot
    name = GROUP_ALIASES.get(head) or ALIASES.get(head, head)
    if name in GROUPS:
        sub, _, tail = rest.strip().partition(" ")
        full = f"{name} {sub.casefold()}"
        return COMMANDS.get(SUB_ALIASES.get(full, full)), tail.strip(), name
    return COMMANDS.get(name), rest.strip(), ""


def match(message: Message, ctx: Context) -> Invocation | None:
    """A staff member's command; None for customers and for non-commands."""
    if message.kind not in (MessageKind.TEXT, MessageKind.COMMAND):
        return None
    if not message.text.strip().startswith("/"):
        return None
    role = role_of(message, ctx)
    if role is None:
        return None
    command, arguments, group = parse(message.text)
    if command is None and not group:
        return None
    if not message.is_private and not in_staff_chat(message, ctx):
        return None  # a group that is not the staff chat: not a place for commands
    if command is None:
        command = Command(group, "agent", "", _group_usage(group))
    return Invocation(message, staff_id(message), role, command, arguments)


def _group_usage(group: str) -> Callable[[Invocation, Context], Awaitable[list[Reply]]]:
    async def run(invocation: Invocation, ctx: Context) -> list[Reply]:
        lines = [
            command.usage for name, command in COMMANDS.items()
            if name.startswith(group + " ") and allows(invocation.role, command.role)
        ]
        if lines:
            return text_reply("Usage:", *lines)
        needed = min(
            (command.role for name, command in COMMANDS.items() if name.startswith(group + " ")),
            key=ROLES.index,
        )
        return _refusal(invocation, needed)

    return run


def _refusal(invocation: Invocation, needed: str) -> list[Reply]:
    log.warning(
        "refused %s from %s (%s)", invocation.command.name, invocation.staff, invocation.role
    )
    return text_reply(
        f"/{invocation.command.name} is not for your role ({invocation.role}; needs {needed}).",
        "You may use:", *usable(invocation.role),
    )


async def handle(message: Message, ctx: Context, invocation: Invocation) -> list[Reply]:
    """Run the command if the role and the chat allow it; a wrong argument gets the usage."""
    command = invocation.command
    if command.role in ROLES and not allows(invocation.role, command.role):
        return _refusal(invocation, command.role)
    if not message.is_private and not command.staff_chat:
        log.warning("refused %s in a group chat from %s", command.name, invocation.staff)
        return text_reply(f"/{command.name} works only in a private chat with the bot.")
    try:
        return await command.run(invocation, ctx)
    except UsageError:
        return text_reply(f"Usage: {command.usage}")


ROUTE = Route(name="admin", match=match, handle=handle)
