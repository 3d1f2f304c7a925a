"""Migration 0008_kb_tools: KB revisions, the review queue and answer feedback."""

from __future__ import annotations

from bot.store.database import Database

ID = "0008_kb_tools"


def apply(db: Database) -> None:
    """KB revisions, the review queue and answer feedback."""
    db.executescript(
        """
        CREATE TABLE kb_revisions (
            id INTEGER PRIMARY KEY,
            faq_id TEXT NOT NULL,
            who TEXT NOT NULL,
            created_at TEXT NOT NULL,
            before TEXT,
            after TEXT NOT NULL,
            reverts INTEGER REFERENCES kb_revisions(id),
            undone INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX kb_revisions_faq ON kb_revisions(faq_id, id);
        CREATE INDEX kb_revisions_who ON kb_revisions(who, id);
        CREATE TABLE kb_review (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            reason TEXT NOT NULL,
            count INTEGER NOT NULL DEFAULT 0,
            first_asked_at TEXT NOT NULL,
            last_asked_at TEXT NOT NULL,
            examples TEXT NOT NULL DEFAULT '[]',
            near TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'attached', 'created', 'dismissed')),
            faq_id TEXT,
            resolved_by TEXT,
            resolved_at TEXT
        );
        CREATE INDEX kb_review_open ON kb_review(status, count);
        CREATE TABLE kb_feedback (
            customer_id TEXT NOT NULL,
            faq_id TEXT NOT NULL,
            vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
            question TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (customer_id, faq_id)
        );
        CREATE INDEX kb_feedback_faq ON kb_feedback(faq_id, vote);
        """
    )
