"""What every `brandbot` subcommand shares: reading the config once, the --config option."""

from __future__ import annotations

import argparse
import os
from dataclasses import replace

from bot.cli.logs import LOGS
from bot.config import Config, load_config


def config_of(args: argparse.Namespace) -> Config:
    """The config file named on the command line, with --port and --host applied."""
    config = load_config(args.config)
    LOGS.use(config)  # the configured format, and its secrets masked from here on
    if getattr(args, "port", None) is not None:
        config = replace(config, server=replace(config.server, port=args.port))
    if getattr(args, "host", None):
        config = replace(config, server=replace(config.server, host=args.host))
    return config


def with_config(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add --config (default $BRANDBOT_CONFIG or config.toml)."""
    sub.add_argument("--config", default=os.environ.get("BRANDBOT_CONFIG", "config.toml"))
    return sub
