"""Telegram Bot API: webhook or long polling in, Bot API calls out (docs/platforms.md §2)."""
