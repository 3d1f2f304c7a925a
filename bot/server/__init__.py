"""The aiohttp application: web chat, webhooks, the shop's events, health; no logic of its own."""
