"""Binding a saved query's `let` tunables: the rest of the text is left exactly as it is."""

from __future__ import annotations

import datetime as dt

import pytest

from gatewatch.catalog.load import load
from gatewatch.catalog.model import LogSearchAlertRule, SavedQuery
from gatewatch.live.kqlbind import BindError, bind, declared, let_number, let_value, literal


def test_literals() -> None:
    assert literal('a"b\\c') == '"a\\"b\\\\c"'
    assert literal(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)) == \
        "datetime(2026-01-02T03:04:05.000000Z)"
    assert literal(dt.timedelta(minutes=5)) == "300s"
    assert literal(7) == "7"


def test_bind_replaces_only_the_value_and_keeps_the_comment() -> None:
    (query,) = [q for q in load(SavedQuery) if q.name == "tunnel-history"]
    bound = bind(query.body, {"RemoteIP": "203.0.113.10"})
    assert 'let RemoteIP = "203.0.113.10";                    // e.g.' in bound
    assert bound.replace('"203.0.113.10";', '"";', 1) == query.body


def test_binding_an_undeclared_name_is_an_error() -> None:
    (query,) = [q for q in load(SavedQuery) if q.name == "ike-parse"]
    with pytest.raises(BindError, match="RemoteIP"):
        bind(query.body, {"RemoteIP": "203.0.113.10"})  # ike-parse calls it RemoteIPFilter
    assert "RemoteIPFilter" in declared(query.body)


def test_a_value_cannot_break_out_of_its_string() -> None:
    bound = bind('let X = "";\nT | where a == X', {"X": '"; T | take 1 //'})
    assert bound.splitlines()[0] == 'let X = "\\"; T | take 1 //";'


def test_let_value_reads_the_alerts_failure_pattern() -> None:
    (rule,) = [r for r in load(LogSearchAlertRule) if r.name == "ike-negotiation-failure"]
    pattern = let_value(rule.query, "FailurePattern")
    assert pattern is not None and "NO_PROPOSAL_CHOSEN" in pattern.split("|")


def test_triage_windows_are_the_tunnel_drop_alerts_tunables() -> None:
    from gatewatch.live.triage.collect import alert_windows

    (rule,) = [r for r in load(LogSearchAlertRule) if r.name == "tunnel-drop"]
    windows = alert_windows()
    assert windows.failover.total_seconds() == let_number(rule.query, "FailoverSeconds") == 60
    assert windows.maintenance.total_seconds() == let_number(rule.query, "MaintenanceSeconds")
