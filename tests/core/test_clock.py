"""Timestamps: one sortable UTC text form, read back to the same moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from bot.core.clock import iso, parse_iso


def test_a_timestamp_round_trips_to_the_microsecond() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert iso(moment) == "2026-01-02T03:04:05.000006Z"
    assert parse_iso(iso(moment)) == moment
    assert parse_iso(iso(moment)).tzinfo is UTC


def test_another_zone_is_written_in_utc() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=8)))
    assert iso(moment) == "2026-01-01T19:04:05.000000Z"


def test_timestamps_sort_as_text_in_time_order() -> None:
    moments = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=s) for s in (0, 0.5, 9, 61)]
    assert sorted(iso(m) for m in reversed(moments)) == [iso(m) for m in moments]


def test_other_iso_texts_are_read_as_utc() -> None:
    assert parse_iso("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_iso("2026-01-02T11:04:05+08:00") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
