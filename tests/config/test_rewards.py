"""The [rewards] section: sample defaults, every problem reported, codes loaded from a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import build_bot
from bot.config import Config, load_config
from bot.config.rewards import RewardsSettings
from bot.core.errors import ConfigError
from tests.helpers.paths import ROOT


def test_the_committed_config_holds_the_sample_rules() -> None:
    assert load_config(ROOT / "config.toml", env={}).rewards == RewardsSettings()
    rules = RewardsSettings()
    assert (rules.checkin_points, dict(rules.streak_bonus), rules.referrer_points) == (5, {7: 20},
                                                                                       200)


def test_every_problem_is_reported(make_config: Callable[..., Config]) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config(rewards={
            "checkin_points": -1, "points_expiry": "sometimes", "gold_points": 10,
            "streak_bonus": {"seven": 20}, "colour": "red",
            "catalogue": [{"number": 1, "name_zh": "券", "cost": 10}],
        })
    text = str(caught.value)
    for key in ("rewards.checkin_points", "rewards.points_expiry", "rewards.gold_points",
                "rewards.streak_bonus.seven", "rewards.colour", "rewards.catalogue[0].codes_file"):
        assert key in text


async def test_codes_are_loaded_from_a_file_once(
    make_config: Callable[..., Config], tmp_path: Path
) -> None:
    codes = tmp_path / "codes.txt"
    codes.write_text("# pot coupons\nPOT-0001\nPOT-0002\n\nPOT-0001\n", encoding="utf-8")
    config = make_config(rewards={"catalogue": [
        {"number": 1, "name_zh": "壶券", "cost": 10, "codes_file": str(codes)},
    ]})
    bot = build_bot(config)
    assert bot.store.loyalty.catalogue.left(1) == 2
    bot.store.close()
    again = build_bot(config)  # a restart adds nothing twice
    assert again.store.loyalty.catalogue.left(1) == 2
    again.store.close()
