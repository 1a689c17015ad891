"""Pairing and verdict rules over plain events (the end-to-end tests cover the reads)."""

from __future__ import annotations

import datetime as dt

from gatewatch.live.triage.model import AWS, AZURE, DOWN, MAINTENANCE, UP, Event, find_drops, judge

T0 = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def azure(kind: str, seconds: float, instance: str) -> Event:
    return Event(at(seconds), AZURE, kind, kind, "queries/tunnel-history.yaml",
                 f"Azure VPNGW01 {instance}", instance)


def test_active_active_other_instance_coming_back_is_not_our_recovery() -> None:
    # both instances lose their own tunnel; IN_1's comes back first, IN_0's later
    events = [azure(DOWN, 0, "IN_0"), azure(DOWN, 2, "IN_1"), azure(UP, 10, "IN_1"),
              azure(UP, 300, "IN_0")]
    first, second = find_drops(events)
    assert first.recovered is not None and first.recovered.time == at(300)
    assert second.recovered is not None and second.recovered.time == at(10)
    judge([first, second], events)
    assert first.verdict == "same-instance-reconnect"


def test_failover_without_a_maintenance_record_says_so() -> None:
    events = [azure(DOWN, 0, "IN_0"), azure(UP, 6, "IN_1")]
    drops = find_drops(events)
    judge(drops, events)
    assert drops[0].verdict == "gateway-failover"
    assert "no maintenance record" in drops[0].label


def test_maintenance_an_hour_away_still_explains_a_failover() -> None:
    events = [Event(at(-3000), AZURE, MAINTENANCE, "HostMaintenanceEvent", "q", "Azure VPNGW01"),
              azure(DOWN, 0, "IN_0"), azure(UP, 6, "IN_1")]
    drops = find_drops(events)
    judge(drops, events)
    assert drops[0].verdict == "gateway-failover-maintenance"


def test_aws_drop_far_from_any_azure_drop_keeps_its_own_verdict() -> None:
    events = [azure(DOWN, 0, "IN_0"), azure(UP, 6, "IN_1"),
              Event(at(900), AWS, DOWN, "down", "log", "AWS vpn-1 198.51.100.2"),
              Event(at(960), AWS, UP, "up", "log", "AWS vpn-1 198.51.100.2")]
    drops = find_drops(events)
    judge(drops, events)
    assert [d.verdict for d in drops] == ["gateway-failover", "reconnected"]
