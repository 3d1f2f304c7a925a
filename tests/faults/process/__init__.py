"""The fault suite against `brandbot serve` run as a child process (kill -9, SIGTERM, APIs)."""
