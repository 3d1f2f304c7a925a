"""Staff commands in the chat: the command table, roles, the private-chat rule, /help, /confirm.

A command from someone who is not staff is not ours: `match` returns None and the message
goes on to the other routes like any customer message. Each feature declares its commands as
data (handlers/<feature>/commands.py); handlers/__init__.py gathers them into one table.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from bot.core.errors import UsageError
from bot.core.language import ENGLISH
from bot.core.message import Message, MessageKind, Reply
from bot.runtime.context import Context
from bot.runtime.router import Route
from bot.staff.roles import ROLES, allows, in_staff_chat, role_of, staff_id
from handlers.staff.command import Command, Confirmed, Invocation, Run, text_reply, words

log = logging.getLogger(__name__)

AUDIT_LIMIT = 50
# Chinese names of command groups ("知识库 找" → "kb find").
GROUP_ALIASES = {"知识库": "kb"}


class CommandTable:
    """Every staff command by name and alias, and the dry runs that wait for /confirm."""

    def __init__(self, commands: Iterable[Command], confirmed: Mapping[str, Confirmed]) -> None:
        self.confirmed = dict(confirmed)
        own = (
            Command("help", "agent", "/help — the commands you may use", self._help, ("帮助",),
                    True),
            Command("audit", "admin", "/audit [count] — the latest staff changes", _audit,
                    ("审计",)),
            Command("confirm", "agent", "/confirm <code> — carry out a dry-run change",
                    self._confirm, ("确认",)),
        )
        self.commands: dict[str, Command] = {}
        for command in (*own, *commands):
            if command.name in self.commands:
                raise ValueError(f"two staff commands are named {command.name!r}")
            self.commands[command.name] = command
        # Chinese names: whole commands ("统计" → "stats") and, for a subcommand, its second
        # word ("知识库 找" → "kb find").
        self.aliases = {
            alias: command.name for command in self.commands.values()
            for alias in command.aliases if " " not in command.name
        }
        self.sub_aliases = {
            f"{command.name.split(' ', 1)[0]} {alias}": command.name
            for command in self.commands.values() if " " in command.name
            for alias in command.aliases
        }
        self.groups = {name.split(" ", 1)[0] for name in self.commands if " " in name}

    def usable(self, role: str, ctx: Context) -> list[str]:
        """Usage lines of every command `role` may run, in the staff member's language."""
        return [usage(command, ctx) for command in self.commands.values()
                if allows(role, command.role)]

    def parse(self, text: str) -> tuple[Command | None, str, str]:
        """The command a line names, the text after it, and the group if only that matched."""
        head, _, rest = text.strip()[1:].partition(" ")
        head = head.split("@", 1)[0].casefold()  # Telegram groups write /stats@brand_bot
        name = GROUP_ALIASES.get(head) or self.aliases.get(head, head)
        if name in self.groups:
            sub, _, tail = rest.strip().partition(" ")
            full = f"{name} {sub.casefold()}"
            return self.commands.get(self.sub_aliases.get(full, full)), tail.strip(), name
        return self.commands.get(name), rest.strip(), ""

    def group_usage(self, group: str) -> Run:
        """A command that lists the usage of a group's subcommands (e.g. a bare /kb)."""

        async def run(invocation: Invocation, ctx: Context) -> list[Reply]:
            members = [c for name, c in self.commands.items() if name.startswith(group + " ")]
            lines = [usage(command, ctx) for command in members
                     if allows(invocation.role, command.role)]
            if lines:
                return text_reply(ctx.staff_text("staff_usage_heading"), *lines)
            return self.refusal(
                invocation, ctx, min((c.role for c in members), key=ROLES.index)
            )

        return run

    def refusal(self, invocation: Invocation, ctx: Context, needed: str) -> list[Reply]:
        """The polite refusal of a command the sender's role may not run."""
        log.warning(
            "refused %s from %s (%s)", invocation.command.name, invocation.staff, invocation.role
        )
        return text_reply(
            ctx.staff_text("staff_not_your_role", command=invocation.command.name,
                           role=invocation.role, needed=needed),
            ctx.staff_text("staff_you_may_use"), *self.usable(invocation.role, ctx),
        )

    async def _help(self, invocation: Invocation, ctx: Context) -> list[Reply]:
        """The commands the sender's role may use."""
        words(invocation.arguments, 0)
        return text_reply(
            ctx.staff_text("staff_you_are", staff=invocation.staff, role=invocation.role),
            *self.usable(invocation.role, ctx),
        )

    async def _confirm(self, invocation: Invocation, ctx: Context) -> list[Reply]:
        """Carry out a change shown as a dry run, by its code."""
        (code,) = words(invocation.arguments, 1)
        confirmation = ctx.store.staff.use_confirmation(code, invocation.staff, ctx.now())
        if confirmation is None:
            return text_reply(ctx.staff_text("staff_confirm_unknown", code=code.upper()))
        command = self.commands.get(confirmation.action)
        run = self.confirmed.get(confirmation.action)
        if command is None or run is None or not allows(invocation.role, command.role):
            return text_reply(
                ctx.staff_text("staff_confirm_not_yours", action=confirmation.action)
            )
        return await run(invocation, ctx, confirmation.arguments)


async def _audit(invocation: Invocation, ctx: Context) -> list[Reply]:
    """The latest audit rows."""
    parts = invocation.arguments.split()
    if len(parts) > 1 or (parts and not (parts[0].isdigit() and 0 < int(parts[0]) <= AUDIT_LIMIT)):
        raise UsageError
    entries = ctx.store.staff.recent_audit(int(parts[0]) if parts else 10)
    if not entries:
        return text_reply(ctx.staff_text("staff_audit_empty"))
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


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if value is not None else "∅"
    return text if len(text) <= 80 else text[:77] + "…"


def usage(command: Command, ctx: Context) -> str:
    """A command's usage line in the staff member's language: in Chinese from staff.toml
    (`usage_<name>`), in English as its module writes it (so the two never drift apart)."""
    key = "usage_" + command.name.replace(" ", "_")
    if ctx.staff_language() == ENGLISH or not ctx.texts.has(key):
        return command.usage
    return ctx.staff_text(key)


def staff_route(table: CommandTable) -> Route:
    """The route that runs staff commands from `table`."""

    def match(message: Message, ctx: Context) -> Invocation | None:
        """A staff member's command; None for customers and for non-commands."""
        if message.kind not in (MessageKind.TEXT, MessageKind.COMMAND):
            return None
        if not message.text.strip().startswith("/"):
            return None
        role = role_of(message, ctx)
        if role is None:
            return None
        command, arguments, group = table.parse(message.text)
        if command is None and not group:
            return None
        if not message.is_private and not in_staff_chat(message, ctx):
            return None  # a group that is not the staff chat: not a place for commands
        if command is None:
            command = Command(group, "agent", "", table.group_usage(group))
        return Invocation(message, staff_id(message), role, command, arguments)

    async def handle(message: Message, ctx: Context, invocation: Invocation) -> list[Reply]:
        """Run the command if the role and the chat allow it; a wrong argument gets the usage."""
        command = invocation.command
        if command.role in ROLES and not allows(invocation.role, command.role):
            return table.refusal(invocation, ctx, command.role)
        if not message.is_private and not command.staff_chat:
            log.warning("refused %s in a group chat from %s", command.name, invocation.staff)
            return text_reply(ctx.staff_text("staff_private_only", command=command.name))
        try:
            return await command.run(invocation, ctx)
        except UsageError:
            return text_reply(ctx.staff_text("staff_usage", usage=usage(command, ctx)))

    return Route(name="admin", match=match, handle=handle)
