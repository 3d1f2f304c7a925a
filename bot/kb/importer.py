"""Importing FAQs into the store: what would change, the KB that would result, and the writing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.core.faq import Faq
from bot.store.kb.faqs import KnowledgeBaseStore

IMPORTER = "import"


@dataclass(slots=True)
class ImportPlan:
    """The difference between the store and a file, FAQ by FAQ."""

    added: list[Faq] = field(default_factory=list)
    changed: list[Faq] = field(default_factory=list)
    unchanged: list[Faq] = field(default_factory=list)
    missing: list[Faq] = field(default_factory=list)  # enabled in the store, not in the file

    def summary(self, *, disable_missing: bool) -> str:
        """One line saying what an import does."""
        missing = f"{len(self.missing)} only in the store"
        missing += " (to be disabled)" if disable_missing else " (kept; --replace disables them)"
        return (
            f"{len(self.added)} new, {len(self.changed)} changed, {len(self.unchanged)} unchanged,"
            f" {missing}"
        )


def plan_import(current: Sequence[Faq], incoming: Sequence[Faq]) -> ImportPlan:
    """Compare the store's FAQs (enabled or not) with those of a file."""
    stored = {faq.id: faq for faq in current}
    plan = ImportPlan()
    for faq in incoming:
        before = stored.get(faq.id)
        if before is None:
            plan.added.append(faq)
        elif before.to_dict() != faq.to_dict():
            plan.changed.append(faq)
        else:
            plan.unchanged.append(faq)
    names = {faq.id for faq in incoming}
    plan.missing = [faq for faq in current if faq.id not in names and faq.enabled]
    return plan


def resulting(
    current: Sequence[Faq], incoming: Sequence[Faq], *, disable_missing: bool
) -> list[Faq]:
    """The knowledge base as it will be after the import."""
    merged = {faq.id: faq for faq in current}
    if disable_missing:
        merged = {key: replace(faq, enabled=False) for key, faq in merged.items()}
    merged.update({faq.id: faq for faq in incoming})
    return [merged[key] for key in sorted(merged)]


def apply_import(
    kb: KnowledgeBaseStore, plan: ImportPlan, now: datetime, *, disable_missing: bool,
    who: str = IMPORTER, progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the plan in one transaction, each change a revision by `who`; returns the count."""
    count = 0
    writes = [*plan.added, *plan.changed]
    with kb.transaction():
        for number, faq in enumerate(writes, 1):
            if progress is not None:
                progress(number, len(writes))
            count += kb.save(faq, now, who)
        if disable_missing:
            for faq in plan.missing:
                count += kb.disable(faq.id, who, now) is not None
    return count
