"""The running version of brandbot, as installed (pyproject.toml is its one source)."""

from __future__ import annotations

from importlib import metadata

try:
    VERSION = metadata.version("brandbot")
except metadata.PackageNotFoundError:  # run from a checkout that was never installed
    VERSION = "0+unknown"
