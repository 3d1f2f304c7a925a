"""Order lookup's tables: orders, proofs of ownership, failed tries, pending lookups, events."""
