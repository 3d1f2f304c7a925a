"""The operator's settings: numbers in range or refused like wrong types, log format,
backups and retention, and the secrets collected for masking."""

from __future__ import annotations

import pytest

from bot.config import parse_config
from bot.core.errors import ConfigError


def problems_of(data: dict[str, object], env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, env=env or {})
    return caught.value.problems


@pytest.mark.parametrize(
    ("table", "key", "value", "expected"),
    [
        ("knowledge_base", "answer_threshold", 5.2,
         "knowledge_base.answer_threshold: must be between 0 and 1, got 5.2"),
        ("knowledge_base", "suggest_threshold", -0.1,
         "knowledge_base.suggest_threshold: must be between 0 and 1, got -0.1"),
        ("knowledge_base", "answer_margin", 2,
         "knowledge_base.answer_margin: must be between 0 and 1, got 2.0"),
        ("server", "port", 70000, "server.port: must be between 0 and 65535, got 70000"),
        ("backup", "keep", 0, "backup.keep: must be between 1 and 3650, got 0"),
        ("privacy", "conversation_days", -1,
         "privacy.conversation_days: must be between 0 and 36500, got -1"),
    ],
)
def test_a_value_out_of_range_is_one_clear_problem(
    table: str, key: str, value: object, expected: str
) -> None:
    assert problems_of({table: {key: value}}) == [expected]


def test_out_of_range_and_wrong_types_are_listed_together() -> None:
    problems = problems_of({
        "knowledge_base": {"answer_threshold": 5.2, "suggest_threshold": "high"},
        "server": {"log_format": "xml"},
        "backup": {"at": "25:00"},
    })
    assert problems == [
        "server.log_format: must be one of text, json, got 'xml'",
        "knowledge_base.answer_threshold: must be between 0 and 1, got 5.2",
        "knowledge_base.suggest_threshold: must be a number, got str",
        "backup.at: must be a time like 09:00, got '25:00'",
    ]


def test_defaults_log_text_keep_conversations_a_year_and_take_no_backups() -> None:
    config = parse_config({}, env={})
    assert (config.server.log_format, config.server.access_log) == ("text", True)
    assert config.server.metrics_token == ""
    assert not config.backup.enabled and config.backup.keep == 7
    assert config.privacy.conversation_days == 365


def test_every_secret_read_is_collected_for_masking() -> None:
    config = parse_config(
        {
            "server": {"metrics_token_env": "METRICS"},
            "platforms": {"telegram": {"enabled": True, "token_env": "TG",
                                       "secret_token_env": "TG_SECRET"}},
            "orders": {"events_secret_env": "EVENTS"},
        },
        env={"METRICS": "metrics-sentinel", "TG": "123:tg-sentinel",
             "TG_SECRET": "tg-secret-sentinel", "EVENTS": "events-sentinel"},
    )
    assert set(config.secrets) == {
        "metrics-sentinel", "123:tg-sentinel", "tg-secret-sentinel", "events-sentinel"
    }
    assert config.server.metrics_token == "metrics-sentinel"
