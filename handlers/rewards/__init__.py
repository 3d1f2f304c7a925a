"""Fan rewards in the chat: check-in, points, rewards, invites, linking, staff grants."""
