"""Staff in the chat: the command route and table, handoff, queue, customers, operations."""
