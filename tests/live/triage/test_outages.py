"""One drop per outage from both ends, over plain events (the end-to-end tests cover the reads)."""

from __future__ import annotations

from gatewatch.live.triage.model import AWS, BGP, DOWN, UP, Event
from gatewatch.live.triage.outages import merge
from gatewatch.live.triage.verdicts import find_drops, judge
from tests.support.triage_events import AWS_LANE, at, aws, azure, outages


def test_aws_drop_far_from_any_azure_drop_keeps_its_own_verdict() -> None:
    # not overlapping and 900 s apart (more than the 5 min tolerance): two outages
    events = [azure(DOWN, 0, "IN_0"), azure(UP, 6, "IN_1"),
              Event(at(900), AWS, DOWN, "down", "log", "AWS vpn-1 198.51.100.2"),
              Event(at(960), AWS, UP, "up", "log", "AWS vpn-1 198.51.100.2")]
    drops = outages(events)
    assert [(d.clouds, d.verdict) for d in drops] == [
        (["azure"], "gateway-failover"), (["aws"], "reconnected")]


def test_a_peer_delete_during_an_azure_failover_takes_the_failover_verdict() -> None:
    events = [azure(DOWN, 0, "IN_0"), azure(UP, 6, "IN_1"),
              aws(DOWN, 1, "AWS tunnel received DELETE for IKE_SA from CGW"),
              aws(UP, 9, "AWS tunnel phase 2 SA is established")]
    drops = find_drops(events)
    judge(drops, events)
    # each end judged on its own: the AWS end takes the Azure end's verdict (_mirror)
    assert [d.verdict for d in drops] == ["gateway-failover", "gateway-failover"]
    # and the two ends are one outage: one drop
    (drop,) = merge(drops, events)
    assert drop.verdict == "gateway-failover" and drop.clouds == ["azure", "aws"]
    assert drop.first.time == at(0) and drop.recovered is not None
    assert drop.recovered.time == at(9) and drop.down_seconds == 9
    assert [(d.event.time, d.recovered and d.recovered.time) for d in drop.ends] == [
        (at(0), at(6)), (at(1), at(9))]


def test_a_peer_delete_alone_is_its_own_verdict_and_azure_drops_ignore_it() -> None:
    events = [aws(DOWN, 0, "AWS tunnel received DELETE for IKE_SA from CGW"),
              azure(DOWN, 600, "IN_0"), azure(UP, 640, "IN_0"),
              aws("log", 601, "AWS tunnel received DELETE for IKE_SA from CGW")]
    drops = find_drops(events)
    judge(drops, events)
    assert sorted((d.event.cloud, d.verdict, d.still_down) for d in drops) == [
        ("aws", "peer-delete", True), ("azure", "same-instance-reconnect", False)]
    # the AWS end is still down when Azure's drop comes: one outage, the Azure instances
    # explain it (as _mirror has it), and it is still down at the AWS end
    (drop,) = merge(drops, events)
    assert (drop.clouds, drop.verdict, drop.still_down) == (
        ["aws", "azure"], "same-instance-reconnect", True)
    assert drop.first.time == at(0)


def test_ends_starting_within_the_tolerance_are_one_outage() -> None:
    # the AWS end's record lags by 4 min (an export interval is 5): no overlap, one outage
    events = [azure(DOWN, 0, "IN_0"), azure(UP, 20, "IN_0"),
              aws(DOWN, 240, "AWS tunnel DPD timed out"), aws(UP, 260, "established")]
    (drop,) = outages(events)
    assert drop.clouds == ["azure", "aws"] and drop.verdict == "dpd-timeout"
    assert drop.first.time == at(0)


def test_ends_just_beyond_the_tolerance_are_two_outages() -> None:
    events = [azure(DOWN, 0, "IN_0"), azure(UP, 20, "IN_0"),
              aws(DOWN, 301, "AWS tunnel DPD timed out"), aws(UP, 320, "established")]
    assert [d.clouds for d in outages(events)] == [["azure"], ["aws"]]


def test_overlapping_ends_are_one_outage_however_far_apart_they_start() -> None:
    events = [azure(DOWN, 0, "IN_0"), azure(UP, 1200, "IN_0"),
              aws(DOWN, 900, "AWS tunnel received DELETE for IKE_SA"),
              aws(UP, 1210, "established")]
    (drop,) = outages(events)
    assert drop.recovered is not None and drop.recovered.time == at(1210)


def test_the_verdict_comes_from_either_end_by_the_rules_order() -> None:
    # AWS logs the pre-shared key mismatch; the Azure end sees only a disconnect
    events = [azure(DOWN, 0, "IN_0"), azure(UP, 400, "IN_0"),
              aws(DOWN, 2, "AWS tunnel received DELETE for IKE_SA"),
              aws("ike", 700, "AWS tunnel detected a pre-shared key mismatch with cgw: x"),
              aws(UP, 800, "established")]
    (drop,) = outages(events)
    assert drop.verdict == "ike-psk-mismatch"
    assert any("pre-shared key" in e.text for e in drop.evidence)


def test_an_aws_only_endpoint_replacement_starts_at_the_bgp_cease() -> None:
    events = [Event(at(-60), AWS, "health", "AWS_VPN_TUNNEL_ENDPOINT_REPLACEMENT", "Health",
                    AWS_LANE),
              Event(at(0), AWS, BGP, "DOWN BGP notification sent: Cease", "AWS BGP log",
                    AWS_LANE),
              aws(DOWN, 200, "AWS tunnel endpoint is being replaced"),
              aws(UP, 260, "established")]
    (drop,) = outages(events)
    assert drop.clouds == ["aws"] and drop.verdict == "aws-endpoint-replacement"
    assert drop.first.text.endswith("Cease") and drop.down_seconds == 260
    assert drop.as_json()["sides"][0]["down"] == "2026-11-27T03:03:20Z"


def test_a_bgp_down_that_came_back_before_the_drop_is_not_its_start() -> None:
    events = [Event(at(-200), AWS, BGP, "DOWN BGP session went down", "AWS BGP log", AWS_LANE),
              Event(at(-100), AWS, BGP, "UP BGP session established", "AWS BGP log", AWS_LANE),
              aws(DOWN, 0, "AWS tunnel DPD timed out"), aws(UP, 60, "established")]
    (drop,) = outages(events)
    assert drop.first.time == at(0)


def test_a_one_cloud_drop_is_as_before() -> None:
    events = [azure(DOWN, 0, "IN_0"), azure(UP, 6, "IN_1")]
    (drop,) = outages(events)
    assert drop.ends == [drop] and drop.clouds == ["azure"] and drop.first is drop.event
    assert drop.verdict == "gateway-failover" and drop.down_seconds == 6


def test_another_instances_own_drop_is_not_a_drops_start() -> None:
    # active-active: IN_0's and IN_1's tunnels each drop; IN_1's drop starts at its own down
    events = [azure(DOWN, 0, "IN_0"), azure(DOWN, 2, "IN_1"), azure(UP, 10, "IN_1"),
              azure(UP, 300, "IN_0")]
    first, second = outages(events)
    assert (first.first.time, second.first.time) == (at(0), at(2))
