"""The `[rewards]` settings: every number of the fan-reward programme, with the sample's values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.config.reader import TableReader

TIERS = ("bronze", "silver", "gold")
EXPIRY_POLICIES = ("never", "months", "next_year_end")
REFERRAL_STEPS = ("checkin", "order")
_PREFIX = re.compile(r"^[A-Z0-9-]{0,12}$")


@dataclass(frozen=True, slots=True)
class RewardItem:
    """One reward in the catalogue: its number, names, price and where its codes come from."""

    number: int
    name_zh: str
    name_en: str
    cost: int
    min_tier: str = "bronze"
    codes_file: str = ""  # one coupon code a line, loaded into stock at start
    generate: int = 0  # or: this many codes generated once, with `prefix`
    prefix: str = ""

    def name(self, language: str) -> str:
        """The reward's name in a language."""
        return self.name_en if language == "en" else self.name_zh


def _sample_catalogue() -> tuple[RewardItem, ...]:
    return (
        RewardItem(1, "¥10 无门槛券", "¥10 coupon", 100, generate=200, prefix="LEAF10-"),
        RewardItem(2, "¥30 满 199 可用券", "¥30 off orders over ¥199", 250, generate=100,
                   prefix="LEAF30-"),
        RewardItem(3, "明前龙井体验装 (10 g)", "Pre-Qingming Longjing sample (10 g)", 500,
                   min_tier="silver", generate=50, prefix="LJ-"),
    )


@dataclass(frozen=True, slots=True)
class RewardsSettings:
    """Points, check-in, referrals, linking, tiers, catalogue, leaderboard and expiry rules."""

    enabled: bool = True
    follow_bonus: int = 10
    checkin_points: int = 5
    # streak day → extra points; with streak_repeat the table starts over after its last day
    streak_bonus: tuple[tuple[int, int], ...] = ((7, 20),)
    streak_repeat: bool = True
    referrer_points: int = 200
    referred_points: int = 100
    referral_step: str = "checkin"
    referral_daily_cap: int = 10
    # A web chat identity is a random id any script can mint by the thousand: customers known
    # only from the web chat earn no points (check-in, welcome gift) unless this is true.
    web_points: bool = False
    telegram_bot_username: str = ""
    whatsapp_number: str = ""
    link_code_minutes: int = 10
    tier_period_days: int = 365
    silver_points: int = 1000
    gold_points: int = 3000
    silver_multiplier: float = 1.2
    gold_multiplier: float = 1.5
    points_expiry: str = "next_year_end"
    expiry_months: int = 24
    expiry_warning_days: int = 31
    expiry_reminder_days: int = 30  # 0: no reminder messages
    leaderboard_size: int = 10
    history_size: int = 5
    catalogue: tuple[RewardItem, ...] = field(default_factory=_sample_catalogue)

    def threshold(self, tier: str) -> int:
        """Points earned in the tier period needed for a tier."""
        return {"bronze": 0, "silver": self.silver_points, "gold": self.gold_points}[tier]

    def multiplier(self, tier: str) -> float:
        """The earning multiplier of a tier."""
        return {"bronze": 1.0, "silver": self.silver_multiplier,
                "gold": self.gold_multiplier}[tier]

    def reward(self, number: int) -> RewardItem | None:
        """The catalogue entry with this number."""
        return next((item for item in self.catalogue if item.number == number), None)


def _read_streak(table: TableReader) -> tuple[tuple[int, int], ...]:
    sub = table.subtable("streak_bonus")
    if "streak_bonus" not in table.table:
        return RewardsSettings().streak_bonus
    pairs = []
    for key, value in sub.table.items():
        sub.mark_read(key)
        if not str(key).isdigit() or int(key) < 1:
            sub.problem(str(key), "must be a streak length in days (1 or more)")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            sub.problem(str(key), "must be a number of points (0 or more)")
        else:
            pairs.append((int(key), value))
    return tuple(sorted(pairs))


def _read_item(table: TableReader, index: int, data: Any) -> RewardItem | None:
    if not isinstance(data, dict):
        table.problem(f"catalogue[{index}]", "must be a table ([[rewards.catalogue]])")
        return None
    item = table.nested(f"catalogue[{index}]", data)
    number = item.integer("number", index + 1, minimum=1)
    name_zh = item.string("name_zh")
    name_en = item.string("name_en") or name_zh
    if not name_zh:
        item.problem("name_zh", "every reward needs a name")
    reward = RewardItem(
        number=number,
        name_zh=name_zh,
        name_en=name_en,
        cost=item.integer("cost", 1, minimum=1),
        min_tier=item.string("min_tier", "bronze", choices=TIERS),
        codes_file=item.string("codes_file"),
        generate=item.integer("generate", 0, minimum=0),
        prefix=item.string("prefix"),
    )
    if not _PREFIX.match(reward.prefix):
        item.problem("prefix", "use at most 12 capital letters, digits or '-'")
    if not reward.codes_file and not reward.generate:
        item.problem("codes_file", "give a codes_file or a number of codes to generate")
    item.finish()
    return reward


def read_rewards(table: TableReader) -> RewardsSettings:
    """Read `[rewards]`; problems are collected in the reader."""
    defaults = RewardsSettings()
    catalogue = defaults.catalogue
    entries = table.tables("catalogue", "a list of tables ([[rewards.catalogue]])")
    if entries is not None:
        items = [_read_item(table, index, data) for index, data in enumerate(entries)]
        catalogue = tuple(item for item in items if item is not None)
        numbers = [item.number for item in catalogue]
        if len(set(numbers)) != len(numbers):
            table.problem("catalogue", "two rewards share a number")
    settings = RewardsSettings(
        enabled=table.boolean("enabled", defaults.enabled),
        web_points=table.boolean("web_points", defaults.web_points),
        follow_bonus=table.integer("follow_bonus", defaults.follow_bonus, minimum=0),
        checkin_points=table.integer("checkin_points", defaults.checkin_points, minimum=0),
        streak_bonus=_read_streak(table),
        streak_repeat=table.boolean("streak_repeat", defaults.streak_repeat),
        referrer_points=table.integer("referrer_points", defaults.referrer_points, minimum=0),
        referred_points=table.integer("referred_points", defaults.referred_points, minimum=0),
        referral_step=table.string("referral_step", defaults.referral_step,
                                   choices=REFERRAL_STEPS),
        referral_daily_cap=table.integer(
            "referral_daily_cap", defaults.referral_daily_cap, minimum=0
        ),
        telegram_bot_username=table.string("telegram_bot_username").lstrip("@"),
        whatsapp_number=table.string("whatsapp_number").lstrip("+").replace(" ", ""),
        link_code_minutes=table.integer(
            "link_code_minutes", defaults.link_code_minutes, minimum=1
        ),
        tier_period_days=table.integer("tier_period_days", defaults.tier_period_days, minimum=1),
        silver_points=table.integer("silver_points", defaults.silver_points, minimum=1),
        gold_points=table.integer("gold_points", defaults.gold_points, minimum=1),
        silver_multiplier=table.number(
            "silver_multiplier", defaults.silver_multiplier, minimum=1
        ),
        gold_multiplier=table.number("gold_multiplier", defaults.gold_multiplier, minimum=1),
        points_expiry=table.string("points_expiry", defaults.points_expiry,
                                   choices=EXPIRY_POLICIES),
        expiry_months=table.integer("expiry_months", defaults.expiry_months, minimum=1),
        expiry_warning_days=table.integer(
            "expiry_warning_days", defaults.expiry_warning_days, minimum=0
        ),
        expiry_reminder_days=table.integer(
            "expiry_reminder_days", defaults.expiry_reminder_days, minimum=0
        ),
        leaderboard_size=table.integer("leaderboard_size", defaults.leaderboard_size, minimum=1),
        history_size=table.integer("history_size", defaults.history_size, minimum=1),
        catalogue=catalogue,
    )
    if settings.gold_points <= settings.silver_points:
        table.problem("gold_points", "must be above silver_points")
    if settings.whatsapp_number and not settings.whatsapp_number.isdigit():
        table.problem("whatsapp_number", "must be the number in international form, digits only")
    return settings
