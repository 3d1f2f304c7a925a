"""This folder's tests run on both store backends: SQLite and PostgreSQL."""

from tests.helpers.backends import backend

__all__ = ["backend"]
