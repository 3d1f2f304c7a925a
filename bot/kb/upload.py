"""A spreadsheet uploaded to replace or extend the knowledge base: checked first, then written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.faq import Faq
from bot.core.spreadsheet import decode
from bot.kb.check import check
from bot.kb.csv_format import load_csv
from bot.kb.importer import ImportPlan, apply_import, plan_import, resulting
from bot.store.kb.faqs import KnowledgeBaseStore


@dataclass(slots=True)
class Upload:
    """What a file would do: its FAQs, the plan, and the validation report."""

    name: str
    faqs: list[Faq] = field(default_factory=list)
    plan: ImportPlan = field(default_factory=ImportPlan)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    replace: bool = False

    @property
    def ok(self) -> bool:
        """Whether it may be imported."""
        return not self.errors

    def summary(self) -> str:
        """One line on what an import does."""
        plan = self.plan
        missing = "to be switched off" if self.replace else "kept"
        return (
            f"{len(plan.added)} new, {len(plan.changed)} changed, {len(plan.unchanged)}"
            f" unchanged, {len(plan.missing)} only in the store ({missing})"
        )


def check_upload(
    current: Sequence[Faq], data: bytes, name: str, *, replace: bool, min_score: float
) -> Upload:
    """Read a CSV file and validate the knowledge base it would leave (no store access, so
    it can run off the event loop: the "captured better" check ranks every phrasing)."""
    upload = Upload(name, replace=replace)
    text, problems = decode(data, name)
    if not problems:
        upload.faqs, problems = load_csv(text, name)
    upload.errors += problems
    if not upload.faqs and not problems:
        upload.errors.append(f"{name}: no FAQ rows (export the knowledge base to see the format)")
    upload.plan = plan_import(current, upload.faqs)
    report = check(resulting(current, upload.faqs, disable_missing=replace), min_score=min_score)
    upload.errors += report.errors
    lines = report.lines()
    upload.warnings += [line.removeprefix("warning: ") for line in lines
                        if line.startswith("warning: ")]
    return upload


def write_upload(kb: KnowledgeBaseStore, upload: Upload, now: datetime, who: str) -> int:
    """Import a checked file in one transaction; returns how many revisions were written."""
    if not upload.ok:
        raise ValueError("an upload with errors cannot be imported")
    return apply_import(kb, upload.plan, now, disable_missing=upload.replace, who=who)
