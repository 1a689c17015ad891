"""gatewatch:azure.maintenanceWindow on its own: Azure's formats, a daily window of 5-23 hours,
a Windows time zone id, and YAML's unquoted times and dates told to keep their format. (Its
rules against the gateways: test_azure.py.)"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from gatewatch.config.model import parse_config
from tests.support.stacks import (
    base_config,
    problem_lines,
    problems,
    window,
    with_azure,
    with_window,
)


def test_maintenance_window_parses_to_azure_formats() -> None:
    azure = parse_config(with_window(startDate="2025-06-01")).azure
    assert azure is not None and azure.maintenance_window is not None
    mw = azure.maintenance_window
    assert (mw.duration, mw.start_date, mw.location) == ("05:00", "2025-06-01", "japaneast")
    assert mw.start_date_time("2025-06-01") == "2025-06-01 01:00"
    without = parse_config(with_window()).azure
    assert without is not None and without.maintenance_window is not None
    assert without.maintenance_window.start_date is None  # fixed at first create, not here


def test_start_date_is_optional_without_a_default() -> None:
    config = base_config()
    config["gatewatch:azure"]["gateways"][1]["maintenanceWindow"] = False  # policy-based
    config["gatewatch:azure"]["maintenanceWindow"] = {
        "start": "01:00", "durationHours": 5, "timeZone": "UTC"}
    azure = parse_config(config).azure
    assert azure is not None and azure.maintenance_window is not None
    assert azure.maintenance_window.start_date is None
    config["gatewatch:azure"]["maintenanceWindow"]["startDate"] = "2025-13-01"
    assert problem_lines(config) == [
        "gatewatch:azure.maintenanceWindow.startDate: '2025-13-01' is not a date like "
        "2025-01-01; write the first day as YYYY-MM-DD"]


def test_window_shorter_than_five_hours() -> None:
    found = problems(with_azure(maintenanceWindow=window(durationHours=4)))
    message = found["gatewatch:azure.maintenanceWindow.durationHours"]
    assert "shorter than Azure's minimum" in message


@pytest.mark.parametrize("duration", ["5", 5.5, True])
def test_window_duration_of_the_wrong_type_is_not_called_too_short(duration: Any) -> None:
    found = problems(with_azure(maintenanceWindow=window(durationHours=duration)))
    message = found["gatewatch:azure.maintenanceWindow.durationHours"]
    assert "must be a whole number of hours" in message
    assert "shorter" not in message


def test_window_longer_than_a_day() -> None:
    found = problems(with_azure(maintenanceWindow=window(durationHours=24)))
    assert "does not fit in a day" in found["gatewatch:azure.maintenanceWindow.durationHours"]


def test_window_recurs_daily_only() -> None:
    found = problems(with_azure(maintenanceWindow=window(recurEvery="Week")))
    assert "recur daily" in found["gatewatch:azure.maintenanceWindow.recurEvery"]
    assert parse_config(with_window(recurEvery="Day")).azure


def test_window_time_zone_must_be_a_windows_id() -> None:
    found = problems(with_azure(maintenanceWindow=window(timeZone="Asia/Tokyo")))
    assert "Tokyo Standard Time" in found["gatewatch:azure.maintenanceWindow.timeZone"]


def test_window_start_and_date_formats() -> None:
    found = problems(with_azure(maintenanceWindow=window(start="1am", startDate="2025-13-01")))
    assert "HH:MM" in found["gatewatch:azure.maintenanceWindow.start"]
    assert "YYYY-MM-DD" in found["gatewatch:azure.maintenanceWindow.startDate"]


def test_window_missing_keys_are_named() -> None:
    found = problems(with_azure(maintenanceWindow={"start": "01:00"}))
    assert {"gatewatch:azure.maintenanceWindow.durationHours",
            "gatewatch:azure.maintenanceWindow.timeZone"} <= set(found)


def test_unquoted_yaml_date_and_time_are_told_to_keep_their_format() -> None:
    found = problems(with_azure(maintenanceWindow=window(timeZone="UTC",
        start=60, startDate=datetime.date(2025, 6, 1))))
    assert found["gatewatch:azure.maintenanceWindow.startDate"] == (
        '2025-06-01 was read by YAML as a date, not as text; keep the format and quote it: '
        '"2025-06-01"')
    assert found["gatewatch:azure.maintenanceWindow.start"] == (
        'YAML read the unquoted time 01:00 as the number 60; keep the format and quote it: '
        '"01:00"')
