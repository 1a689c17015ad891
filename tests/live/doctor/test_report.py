"""The doctor's report: its JSON shape and its table."""

from __future__ import annotations

import datetime as dt

import pytest

from gatewatch.live.doctor.report import (
    MISSING,
    OK,
    DoctorReport,
    format_age,
    format_when,
    render_json,
    render_text,
)
from tests.support.doctor import line, run_doctor
from tests.support.live_world import STACK, World


def test_json_report_shape(estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = run_doctor(estate.healthy(), capsys)
    assert code == 0 and report["ok"] is True and report["stack"] == STACK
    ike = line(report, "records IKEDiagnosticLog")
    assert ike["status"] == "OK" and "min ago" in ike["detail"]


def test_table_aligns_four_columns_and_appends_the_fix() -> None:
    report = DoctorReport("dev")
    report.add("aws", "lg", "log group", OK, "exists")
    report.add("azure", "vpngw-hub-01", "gateway", MISSING, "not found", "fix the id")
    assert render_text(report).splitlines() == [
        "STATUS   CLOUD  TARGET        CHECK      DETAIL  -> FIX",
        "OK       aws    lg            log group  exists",
        "MISSING  azure  vpngw-hub-01  gateway    not found  -> fix the id",
        "",
        "2 checks, 1 not OK",
    ]
    assert not report.ok
    assert render_json(report)["checks"][1] == {
        "cloud": "azure", "target": "vpngw-hub-01", "check": "gateway", "status": "MISSING",
        "detail": "not found", "fix": "fix the id"}


def test_times_and_ages() -> None:
    now = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    assert format_when(None) == "never"
    assert format_when(now) == "2026-11-27 12:00 UTC"
    assert format_age(now, now - dt.timedelta(minutes=119)) == "119 min ago"
    assert format_age(now, now - dt.timedelta(hours=47)) == "47 h ago"
    assert format_age(now, now - dt.timedelta(days=3)) == "3 d ago"
    assert render_text(DoctorReport("dev")).endswith("0 checks, all OK")
