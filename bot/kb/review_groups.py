"""The review queue in groups: questions worded alike, or near the same FAQ, handled together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from bot.store.kb.review import ReviewItem

# Keys at least this alike (rapidfuzz ratio, 0–100) are one question worded two ways.
ALIKE = 72.0
# Near the same FAQ and this alike: the same gap in the knowledge base.
ALIKE_NEAR = 50.0


@dataclass(slots=True)
class Group:
    """Similar open questions, the most asked first; `near` is the FAQ they lean to."""

    items: list[ReviewItem] = field(default_factory=list)

    @property
    def lead(self) -> ReviewItem:
        """The most asked question of the group."""
        return self.items[0]

    @property
    def count(self) -> int:
        """How often the group's questions were asked in all."""
        return sum(item.count for item in self.items)

    @property
    def near(self) -> tuple[str, ...]:
        """FAQs the group's questions came close to, the lead's first."""
        return tuple(dict.fromkeys(faq for item in self.items for faq in item.near))


def _alike(one: ReviewItem, other: ReviewItem) -> bool:
    score = fuzz.ratio(one.key, other.key)
    if score >= ALIKE:
        return True
    same_near = bool(one.near and other.near and one.near[0] == other.near[0])
    return same_near and score >= ALIKE_NEAR


def group(items: Sequence[ReviewItem]) -> list[Group]:
    """Greedy grouping in queue order: each question joins the first group whose lead it is
    alike, else starts one; groups come most asked first."""
    groups: list[Group] = []
    for item in items:
        home = next((g for g in groups if _alike(g.lead, item)), None)
        if home is None:
            groups.append(Group([item]))
        else:
            home.items.append(item)
    return sorted(groups, key=lambda g: -g.count)
