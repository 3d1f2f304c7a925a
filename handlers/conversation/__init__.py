"""The conversation's own routes: greetings, opt-in words, reactions, and the fallback."""
