"""The fan-reward tables: ledger, accounts, tiers, check-ins, referrals, links, coupon codes."""
