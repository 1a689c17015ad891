"""Behaviours of the rollout engine against the EC2 stand-in (real boto3, simulated
time): tunnel + BGP logs and lifecycle control in one change per tunnel, lifecycle control
without an outage, pending maintenance one tunnel at a time, unknown ids refused up front,
and a 500-connection rollout under EC2's request throttle."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from gatewatch.aws_rollout.errors import UnknownConnections
from gatewatch.aws_rollout.options import LogOptions, RolloutSettings
from gatewatch.aws_rollout.results import Action
from gatewatch.aws_rollout.throttle import DESCRIBE_CHUNK, EC2_REQUEST_BUCKETS
from gatewatch.aws_rollout.views import TimeWindow
from tests.support.aws_rollout import (
    ARN,
    ENABLED_API,
    connection_with_maintenance,
    down_intervals,
    make_world,
    max_both_down_seconds,
)

BGP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/vpn-bgp"
FULL = LogOptions(True, ARN, "json", bgp_log_enabled=True, lifecycle_control=True)
FULL_API = {**ENABLED_API, "BgpLogEnabled": True, "BgpLogGroupArn": ARN,
            "BgpLogOutputFormat": "json"}


# --- one change per tunnel ------------------------------------------------------------------

def test_tunnel_logs_bgp_logs_and_lifecycle_control_go_in_one_call_per_tunnel() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)

    result = world.run([vpn], options=FULL)

    assert result.ok, result.errors
    calls = world.standin.modify_calls(vpn)
    assert [c.outside_ip for c in calls] == [ip1, ip2]  # exactly one change per tunnel
    for call in calls:
        assert call.option_keys == ("EnableTunnelLifecycleControl", "LogOptions")
        assert call.skip_replacement is None  # only documented for the lifecycle flag alone
    for ip in (ip1, ip2):
        assert world.standin.log_options(vpn, ip) == FULL_API
        assert world.standin.lifecycle_control(vpn, ip) is True
        assert len(down_intervals(world.standin, vpn, ip)) == 1  # one outage per tunnel
    assert max_both_down_seconds(world.standin) == 0.0


def test_bgp_logs_can_go_to_their_own_log_group() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    options = LogOptions(True, ARN, "text", bgp_log_enabled=True, bgp_log_group_arn=BGP_ARN,
                         bgp_log_output_format="json")

    assert world.run([vpn], options=options).ok
    ip1, _ = world.standin.tunnel_ips(vpn)
    current = world.standin.log_options(vpn, ip1)
    assert current["LogGroupArn"] == ARN and current["LogOutputFormat"] == "text"
    assert current["BgpLogGroupArn"] == BGP_ARN and current["BgpLogOutputFormat"] == "json"


def test_a_tunnel_whose_tunnel_and_bgp_options_and_lifecycle_match_is_skipped() -> None:
    world = make_world()
    vpn = world.standin.add_connection(FULL_API)
    for ip in world.standin.tunnel_ips(vpn):
        world.standin.set_lifecycle_control(vpn, ip, True)

    result = world.run([vpn], options=FULL)

    assert [t.action for t in result.connections[0].tunnels] == [Action.SKIPPED] * 2
    assert [c for c in world.standin.calls if c.action == "ModifyVpnTunnelOptions"] == []


def test_tunnel_logs_without_bgp_logs_is_changed_once_per_tunnel() -> None:
    world = make_world()
    vpn = world.standin.add_connection(ENABLED_API)  # tunnel logs on, BGP logs off

    result = world.run([vpn], options=FULL)

    assert [t.action for t in result.connections[0].tunnels] == [Action.CHANGED] * 2
    calls = world.standin.modify_calls(vpn)
    assert len(calls) == 2 and len({c.outside_ip for c in calls}) == 2
    assert all(world.standin.log_options(vpn, ip)["BgpLogEnabled"] is True
               for ip in world.standin.tunnel_ips(vpn))
    # A rerun has nothing left to do.
    assert [t.action for t in world.run([vpn], options=FULL).connections[0].tunnels] == \
        [Action.SKIPPED] * 2
    assert len(world.standin.modify_calls(vpn)) == 2


def test_lifecycle_control_alone_is_turned_on_without_an_outage() -> None:
    world = make_world()
    vpn = world.standin.add_connection(FULL_API)  # logs already right, lifecycle control off
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    start = world.clock.now()

    result = world.run([vpn], options=FULL)

    assert [t.action for t in result.connections[0].tunnels] == [Action.NO_OUTAGE] * 2
    calls = world.standin.modify_calls(vpn)
    assert [(c.option_keys, c.skip_replacement) for c in calls] == \
        [(("EnableTunnelLifecycleControl",), True)] * 2
    assert world.standin.lifecycle_control(vpn, ip1) and world.standin.lifecycle_control(vpn, ip2)
    assert down_intervals(world.standin, vpn, ip1) == []
    assert down_intervals(world.standin, vpn, ip2) == []
    assert world.clock.now() - start < 60  # no waiting for a tunnel to come back


# --- pending maintenance --------------------------------------------------------------------

def test_maintenance_is_applied_one_tunnel_at_a_time() -> None:
    world = make_world()
    vpn, ip1, ip2 = connection_with_maintenance(world)

    result = world.maintain([vpn])

    assert result.ok, result.errors
    assert [t.action for t in result.connections[0].tunnels] == [Action.MAINTAINED] * 2
    replaced = world.standin.modify_calls(vpn, action="ReplaceVpnTunnel")
    assert [c.outside_ip for c in replaced] == [ip1, ip2]
    (_, up_again), = down_intervals(world.standin, vpn, ip1)
    assert replaced[1].time >= up_again  # tunnel 2 only after tunnel 1 was truly UP again
    assert world.standin.pending_maintenance(vpn, ip1) is None
    assert world.standin.pending_maintenance(vpn, ip2) is None
    assert max_both_down_seconds(world.standin) == 0.0


def test_maintenance_skips_tunnels_with_nothing_pending() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    _, ip2 = world.standin.tunnel_ips(vpn)
    world.standin.schedule_maintenance(vpn, ip2)

    result = world.maintain([vpn])

    assert [t.action for t in result.connections[0].tunnels] == [Action.SKIPPED,
                                                                 Action.MAINTAINED]
    assert [c.outside_ip for c in world.standin.modify_calls(vpn, "ReplaceVpnTunnel")] == [ip2]


def test_maintenance_is_refused_while_the_other_tunnel_is_down() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    world.standin.schedule_maintenance(vpn, ip1)
    world.standin.set_status(vpn, ip2, "DOWN")
    world.clock.advance(60)  # past the telemetry lag

    result = world.maintain([vpn])

    conn = result.connections[0]
    assert [t.action for t in conn.tunnels] == [Action.FAILED, Action.NOT_TOUCHED]
    assert f"tunnel 2 ({ip2}) is DOWN" in (conn.error or "")
    assert "Nothing was replaced" in (conn.error or "")
    assert world.standin.modify_calls(vpn, action="ReplaceVpnTunnel") == []
    assert world.standin.pending_maintenance(vpn, ip1) is not None


def test_maintenance_that_never_finishes_stops_cleanly_and_leaves_tunnel_2() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    world.standin.schedule_maintenance(vpn, ip1)
    world.standin.schedule_maintenance(vpn, ip2)
    world.standin.break_tunnel(vpn, ip1)

    result = world.maintain([vpn], timeout=600.0)

    conn = result.connections[0]
    assert [t.action for t in conn.tunnels] == [Action.FAILED, Action.NOT_TOUCHED]
    assert f"tunnel 1 ({ip1}) was not UP after the change within 600s" in (conn.error or "")
    assert f"tunnel 2 ({ip2}) was not touched" in (conn.error or "")
    assert [c.outside_ip for c in world.standin.modify_calls(vpn, "ReplaceVpnTunnel")] == [ip1]
    assert world.standin.pending_maintenance(vpn, ip2) is not None


def test_maintenance_outside_the_window_is_deferred_and_nothing_is_replaced() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, _ip2 = world.standin.tunnel_ips(vpn)
    world.standin.schedule_maintenance(vpn, ip1)
    hour = dt.datetime.fromtimestamp(world.clock.now(), tz=dt.UTC).hour
    closed = TimeWindow.parse(f"{(hour + 2) % 24:02d}:00-{(hour + 4) % 24:02d}:00")
    open_now = TimeWindow.parse(f"{hour:02d}:00-{(hour + 2) % 24:02d}:00")

    deferred = world.maintain([vpn], window=closed)

    assert deferred.ok
    assert [t.action for t in deferred.connections[0].tunnels] == [Action.DEFERRED,
                                                                   Action.SKIPPED]
    assert "outside the window" in deferred.connections[0].tunnels[0].messages[0]
    assert world.standin.modify_calls(vpn, action="ReplaceVpnTunnel") == []

    applied = world.maintain([vpn], window=open_now)
    assert [t.action for t in applied.connections[0].tunnels] == [Action.MAINTAINED,
                                                                  Action.SKIPPED]


@pytest.mark.parametrize("text", ["2-5", "25:00-03:00", "02:00-02:00", "02:00", "ab:cd-01:00"])
def test_a_malformed_window_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"HH:MM-HH:MM|empty window"):
        TimeWindow.parse(text)


def test_a_window_may_wrap_past_midnight() -> None:
    window = TimeWindow.parse("22:00-02:00")
    day = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    assert window.contains((day + dt.timedelta(hours=23)).timestamp())
    assert window.contains((day + dt.timedelta(hours=1, minutes=59)).timestamp())
    assert not window.contains((day + dt.timedelta(hours=2)).timestamp())


# --- up-front validation and scale ----------------------------------------------------------

def test_unknown_ids_are_refused_before_any_change() -> None:
    world = make_world()
    good = [world.standin.add_connection() for _ in range(19)]
    typo = "vpn-0123456789abcdef0"

    with pytest.raises(UnknownConnections) as raised:
        world.run([*good[:10], typo, *good[10:]], options=FULL)

    assert raised.value.ids == [typo]
    assert typo in str(raised.value) and "nothing was touched" in str(raised.value)
    assert [c.action for c in world.standin.calls] == ["DescribeVpnConnections"]  # one read
    assert world.standin.modify_calls() == []


def test_500_connections_roll_out_under_ec2s_request_throttle() -> None:
    """EC2's documented buckets are on in the stand-in (RequestLimitExceeded past them); the
    engine paces itself, polls in batches, and 500 connections take about as long as one.

    At the shipped poll interval (RolloutSettings' default, 15 s); bench/tunnel_rollout.py
    shows the same at 10 s. The cost of this test is botocore parsing every polled connection
    (~0.2 ms each), so the longer interval makes it a third cheaper without changing what is
    under test: the throttle binds on the 1000 changes and their confirming reads, which do
    not depend on the interval, not on the batched polls (ceil(500 / 100) calls per tick)."""
    assert EC2_REQUEST_BUCKETS["ModifyVpnTunnelOptions"] == (50.0, 5.0)
    poll = RolloutSettings().poll_interval
    single = make_world()
    single_id = single.standin.add_connection()
    assert single.run([single_id], options=FULL, poll_interval=poll).ok
    one_connection = single.clock.now() - single.standin.calls[0].time

    world = make_world()
    ids = [world.standin.add_connection() for _ in range(500)]
    start = world.clock.now()

    result = world.run(ids, options=FULL, poll_interval=poll)

    assert result.ok, result.errors[:3]
    elapsed = world.clock.now() - start
    assert elapsed <= 1.2 * one_connection, (elapsed, one_connection)
    assert result.count(Action.CHANGED) == 1000
    assert len(world.standin.modify_calls()) == 1000
    assert max_both_down_seconds(world.standin) == 0.0
    throttled = [c for c in world.standin.calls if c.error_code == "RequestLimitExceeded"]
    assert throttled == [], f"{len(throttled)} calls over EC2's request buckets"
    # Reads: one batched poll per interval (ceil(500 / chunk) calls) plus one confirming read
    # per change; a per-connection poller would need about 500 calls per interval.
    polls = math.ceil(elapsed / poll) + 1
    describes = world.standin.calls_by_action()["DescribeVpnConnections"]
    assert describes <= polls * math.ceil(500 / DESCRIBE_CHUNK) + 1000 + 10, describes
    assert describes < polls * 500 / 10


# --- one comparison of wanted and current options (the rollout's and doctor's) ---------------

def test_differences_name_each_field_and_are_empty_exactly_when_the_options_match() -> None:
    no_formats = {k: v for k, v in FULL_API.items() if not k.endswith("OutputFormat")}
    cases = [
        FULL_API,
        {**FULL_API, "LogGroupArn": ARN + ":*"},  # describe-log-groups' form: cosmetic only
        no_formats,  # EC2 leaves out the json default
        {**FULL_API, "LogOutputFormat": "text"},
        {**FULL_API, "BgpLogGroupArn": BGP_ARN},
        {"LogEnabled": True, "LogGroupArn": ARN},  # no BGP logs at all
        {},
    ]
    for current in cases:
        assert FULL.matches(current) is (FULL.differences(current) == [])
    assert FULL.differences(FULL_API) == []
    assert FULL.differences(cases[1]) == []
    assert FULL.differences(no_formats) == []
    assert FULL.differences(cases[3]) == ["LogOutputFormat is 'text', want 'json'"]
    assert FULL.differences(cases[4]) == [f"BgpLogGroupArn is {BGP_ARN!r}, want {ARN!r}"]
    assert FULL.differences(cases[5]) == ["BgpLogEnabled is None, want True",
                                          f"BgpLogGroupArn is None, want {ARN!r}"]


def test_unmanaged_bgp_logs_are_not_compared_and_disabled_logs_need_only_be_off() -> None:
    tunnel_only = LogOptions(True, ARN, "json")
    assert tunnel_only.differences({**ENABLED_API, "BgpLogEnabled": True}) == []
    off = LogOptions(False, bgp_log_enabled=False)
    assert off.differences({"LogEnabled": False}) == []  # an absent BgpLogEnabled is off
    assert off.differences(FULL_API) == ["LogEnabled is True, want False",
                                         "BgpLogEnabled is True, want False"]
    assert not off.matches(FULL_API)
