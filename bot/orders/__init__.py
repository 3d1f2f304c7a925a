"""Order lookup outside the chat turn: the sources, the retrier, imports, the shop's events."""
