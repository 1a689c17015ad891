"""The verdict rules over plain events, per end (the end-to-end tests cover the reads)."""

from __future__ import annotations

from gatewatch.live.triage.model import AZURE, DOWN, MAINTENANCE, UP, Event
from gatewatch.live.triage.verdicts import find_drops, judge
from tests.support.triage_events import at, aws, azure, platform


def test_active_active_other_instance_coming_back_is_not_our_recovery() -> None:
    # both instances lose their own tunnel; IN_1's comes back first, IN_0's later
    events = [azure(DOWN, 0, "IN_0"), azure(DOWN, 2, "IN_1"), azure(UP, 10, "IN_1"),
              azure(UP, 300, "IN_0")]
    first, second = find_drops(events)
    assert first.recovered is not None and first.recovered.time == at(300)
    assert second.recovered is not None and second.recovered.time == at(10)
    judge([first, second], events)
    assert first.verdict == "same-instance-reconnect"


def test_failover_without_a_maintenance_record_names_no_cause() -> None:
    events = [azure(DOWN, 0, "IN_0"), azure(UP, 6, "IN_1")]
    drops = find_drops(events)
    judge(drops, events)
    assert drops[0].verdict == "gateway-failover"
    assert drops[0].label == "Gateway failover (cause: planned maintenance or a reset)"


def test_a_primary_change_is_evidence_of_the_failover_not_of_maintenance() -> None:
    # Microsoft ("Troubleshoot Azure VPN Gateway using diagnostic logs") lists "primary
    # changes" apart from "maintenance events", and a Gateway Reset fails over the same way
    events = [azure(DOWN, 0, "IN_0"), platform(2, "GatewayTenantPrimaryChanged"),
              azure(UP, 6, "IN_1")]
    drops = find_drops(events)
    judge(drops, events)
    assert drops[0].verdict == "gateway-failover"
    assert drops[0].label == "Gateway failover (cause: planned maintenance or a reset)"
    assert drops[0].evidence[0].text.startswith("GatewayTenantPrimaryChanged")
    # with a HostMaintenanceEvent beside it, it is maintenance, both rows as evidence
    events.append(platform(-60, "HostMaintenanceEvent"))
    judge(drops, events)
    assert drops[0].verdict == "gateway-failover-maintenance"
    assert [e.text.split(":")[0] for e in drops[0].evidence[:2]] == [
        "HostMaintenanceEvent", "GatewayTenantPrimaryChanged"]


def test_maintenance_an_hour_away_still_explains_a_failover() -> None:
    events = [Event(at(-3000), AZURE, MAINTENANCE, "HostMaintenanceEvent", "q", "Azure VPNGW01"),
              azure(DOWN, 0, "IN_0"), azure(UP, 6, "IN_1")]
    drops = find_drops(events)
    judge(drops, events)
    assert drops[0].verdict == "gateway-failover-maintenance"


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
