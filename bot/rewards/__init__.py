"""Fan rewards outside the chat turn: points-expiry reminders, referrals completed by orders."""
