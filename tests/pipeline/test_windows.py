"""Window planning, clamping and coverage: the arithmetic every exactness claim rests on."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from pipelines.box_events.exceptions import ConfigurationError
from pipelines.box_events.windows import (
    Window,
    clamp_range,
    duration_text,
    format_box_time,
    gaps,
    is_covered,
    merge_intervals,
    parse_duration,
    parse_when,
    plan_windows,
)

NOW = datetime(2026, 11, 23, 12, 30, 15, 123456, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_windows_are_cut_on_the_day_grid_and_tile_the_range_exactly():
    windows = plan_windows(utc(2026, 1, 1, 6), utc(2026, 1, 4, 3), timedelta(days=1))
    assert windows == [
        Window(utc(2026, 1, 1, 6), utc(2026, 1, 2)),
        Window(utc(2026, 1, 2), utc(2026, 1, 3)),
        Window(utc(2026, 1, 3), utc(2026, 1, 4)),
        Window(utc(2026, 1, 4), utc(2026, 1, 4, 3)),
    ]
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))


def test_dates_relative_iso_and_offsets_are_read_as_utc():
    assert parse_when("365d", now=NOW) == NOW - timedelta(days=365)
    assert parse_when("2025-11-23", now=NOW) == utc(2025, 11, 23)
    assert parse_when("2026-03-04T09:02:47-08:00", now=NOW) == utc(2026, 3, 4, 17, 2, 47)
    assert parse_when("now", now=NOW) == NOW


@pytest.mark.parametrize("text", ["yesterday-ish", "2025-13-45", "12 parsecs"])
def test_unreadable_dates_say_what_to_write(text):
    with pytest.raises(ConfigurationError, match="use a date like 2025-11-23"):
        parse_when(text, now=NOW, name="--start")


def test_reversed_range_is_an_error_and_retention_and_future_are_clamped():
    with pytest.raises(ConfigurationError, match="not before the end"):
        clamp_range(utc(2026, 5, 2), utc(2026, 5, 1), now=NOW)
    start, end = clamp_range(NOW - timedelta(days=400), NOW + timedelta(days=3), now=NOW)
    assert NOW - timedelta(days=365) < start < NOW - timedelta(days=364)
    assert end == NOW.replace(microsecond=0)
    assert start.microsecond == 0


def test_coverage_merges_touching_windows_and_reports_gaps():
    covered = merge_intervals(
        [
            (utc(2026, 1, 2), utc(2026, 1, 3)),
            (utc(2026, 1, 1), utc(2026, 1, 2)),
            (utc(2026, 1, 5), utc(2026, 1, 6)),
        ]
    )
    assert covered == [Window(utc(2026, 1, 1), utc(2026, 1, 3)), Window(utc(2026, 1, 5), utc(2026, 1, 6))]
    assert gaps(utc(2026, 1, 1), utc(2026, 1, 7), covered) == [
        Window(utc(2026, 1, 3), utc(2026, 1, 5)),
        Window(utc(2026, 1, 6), utc(2026, 1, 7)),
    ]
    assert is_covered(Window(utc(2026, 1, 1, 12), utc(2026, 1, 2, 12)), covered)
    assert not is_covered(Window(utc(2026, 1, 2, 12), utc(2026, 1, 3, 12)), covered)


def test_box_time_has_an_explicit_offset_and_whole_seconds():
    assert (
        format_box_time(utc(2026, 3, 4, 17, 2, 47) + timedelta(microseconds=5)) == "2026-03-04T17:02:47+00:00"
    )


def test_durations_round_trip():
    for text in ("90s", "15m", "3h", "1d", "2w"):
        assert duration_text(parse_duration(text)) == text
    with pytest.raises(ConfigurationError, match=r"e\.g\. 90s"):
        parse_duration("soon")
