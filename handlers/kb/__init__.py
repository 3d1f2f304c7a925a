"""The knowledge base in the chat: FAQ answers, 👍/👎 feedback, and the staff's KB commands."""
