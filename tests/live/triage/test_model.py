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


AWS_LANE = "AWS vpn-1 198.51.100.2"


def aws(kind: str, seconds: float, text: str) -> Event:
    return Event(at(seconds), AWS, kind, text, "tunnel log", AWS_LANE)


def test_an_aws_failure_message_explains_the_azure_drop_too() -> None:
    events = [azure(DOWN, 0, "IN_0"), azure(UP, 120, "IN_0"),
              aws("ike", 5, "AWS: Traffic Selector: TS_UNACCEPTABLE: received from responder")]
    drops = find_drops(events)
    judge(drops, events)
    assert [d.verdict for d in drops] == ["ike-traffic-selector-mismatch"]
    assert drops[0].evidence[0].text.startswith("AWS: Traffic Selector")


def test_the_most_specific_ike_cause_wins() -> None:
    events = [aws(DOWN, 0, "AWS tunnel received DELETE for IKE_SA from CGW"),
              aws("ike", 5, "AWS tunnel Timeout: deleting un-established Phase 1 IKE_SA with "
                            "cgw: 20.43.10.7"),
              aws("ike", 9, "AWS tunnel detected a pre-shared key mismatch with cgw: 20.43.10.7"),
              aws(UP, 90, "AWS tunnel phase 2 SA is established")]
    drops = find_drops(events)
    judge(drops, events)
    assert [d.verdict for d in drops] == ["ike-psk-mismatch"]


def test_a_peer_delete_during_an_azure_failover_takes_the_failover_verdict() -> None:
    events = [azure(DOWN, 0, "IN_0"), azure(UP, 6, "IN_1"),
              aws(DOWN, 1, "AWS tunnel received DELETE for IKE_SA from CGW"),
              aws(UP, 9, "AWS tunnel phase 2 SA is established")]
    drops = find_drops(events)
    judge(drops, events)
    assert [d.verdict for d in drops] == ["gateway-failover", "gateway-failover"]


def test_a_peer_delete_alone_is_its_own_verdict_and_azure_drops_ignore_it() -> None:
    events = [aws(DOWN, 0, "AWS tunnel received DELETE for IKE_SA from CGW"),
              azure(DOWN, 600, "IN_0"), azure(UP, 640, "IN_0"),
              aws("log", 601, "AWS tunnel received DELETE for IKE_SA from CGW")]
    drops = find_drops(events)
    judge(drops, events)
    assert sorted((d.event.cloud, d.verdict, d.still_down) for d in drops) == [
        ("aws", "peer-delete", True), ("azure", "same-instance-reconnect", False)]
