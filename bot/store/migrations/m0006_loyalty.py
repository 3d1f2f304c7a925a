"""Migration 0006_loyalty: the append-only points ledger and the reward tables."""

from __future__ import annotations

from bot.store.database import Database

ID = "0006_loyalty"


def apply(db: Database) -> None:
    """The append-only points ledger and the reward tables."""
    db.executescript(
        """
        CREATE TABLE ledger (
            id INTEGER PRIMARY KEY,
            customer_id TEXT NOT NULL,
            points INTEGER NOT NULL CHECK (points <> 0),
            reason TEXT NOT NULL,
            reference TEXT NOT NULL DEFAULT '',
            idempotency_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            expires_at TEXT
        );
        CREATE INDEX ledger_customer ON ledger(customer_id, id);
        CREATE INDEX ledger_created ON ledger(created_at);
        CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
        CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
        CREATE TABLE loyalty_merges (
            absorbed_id TEXT PRIMARY KEY,
            survivor_id TEXT NOT NULL,
            merged_at TEXT NOT NULL
        );
        CREATE INDEX loyalty_merges_survivor ON loyalty_merges(survivor_id);
        CREATE TABLE checkins (
            customer_id TEXT NOT NULL,
            day TEXT NOT NULL,
            streak INTEGER NOT NULL,
            delivery_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            PRIMARY KEY (customer_id, day)
        );
        CREATE TABLE referral_codes (
            code TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE TABLE referrals (
            referred_id TEXT PRIMARY KEY,
            referrer_id TEXT NOT NULL,
            code TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'cancelled')),
            created_at TEXT NOT NULL,
            completed_at TEXT
        );
        CREATE INDEX referrals_referrer ON referrals(referrer_id, created_at);
        CREATE TABLE link_codes (
            code TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_by TEXT,
            used_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE reward_codes (
            id INTEGER PRIMARY KEY,
            reward INTEGER NOT NULL,
            code TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL,
            customer_id TEXT,
            ledger_key TEXT UNIQUE,
            redeemed_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX reward_codes_free ON reward_codes(reward, customer_id, id);
        CREATE TABLE leaderboard_optouts (
            customer_id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL
        );
        """
    )
