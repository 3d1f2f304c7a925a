"""Staff work outside the chat turn: roles, human handoff and its idle timer."""
