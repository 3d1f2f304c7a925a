"""`brandbot staff link console:ROLE`: print a one-time sign-in link for the staff console."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.common import config_of, with_config
from bot.core.clock import Clock
from bot.staff.signin import issue_link
from bot.store import open_configured

CLI = "cli"  # who made the link, in the audit log


def staff_link(args: argparse.Namespace) -> int:
    """Print a sign-in link for a member of [staff.members]."""
    config = config_of(args)
    staff = args.staff
    if staff not in config.staff.members:
        members = ", ".join(sorted(config.staff.members)) or "none"
        print(f"{staff} is not in [staff.members] of {args.config} (members: {members})",
              file=sys.stderr)
        return 2
    if not config.console.enabled:
        print("the staff console is switched off: [console] enabled = false", file=sys.stderr)
        return 2
    store = open_configured(config.store, config.resolve)
    try:
        link = issue_link(store, config, staff, f"{CLI}:{staff}", Clock().now())
    finally:
        store.close()
    role = config.staff.members[staff]
    print(f"sign-in link for {staff} ({role}), works once within"
          f" {config.console.link_minutes} minutes:", file=sys.stderr)
    print(link)
    return 0


def register(commands: Any) -> None:
    """Add `staff link`."""
    staff = commands.add_parser("staff", help="the staff console")
    actions = staff.add_subparsers(dest="staff_command", required=True)
    link = with_config(actions.add_parser("link", help="print a one-time sign-in link"))
    link.add_argument("staff", help='a member of [staff.members], e.g. "console:admin"')
    link.add_argument("--port", type=int, help="the port `serve` listens on, for the link"
                      " (default from config or BRANDBOT_PORT; [console] public_url wins)")
    link.set_defaults(func=staff_link)
