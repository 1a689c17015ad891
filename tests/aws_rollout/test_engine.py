"""Rollout engine against the EC2 stand-in through real boto3, in simulated time.

Every scenario ends with the safety property the engine exists for: the two tunnels of a
connection were never DOWN at the same time (checked on the stand-in's timeline).
"""

from __future__ import annotations

import pickle

import pytest

from gatewatch.aws_rollout.client import Ec2ClientSpec
from gatewatch.aws_rollout.clock import SimClock
from gatewatch.aws_rollout.engine import RolloutEngine, rollout
from gatewatch.aws_rollout.options import LogOptions, RolloutSettings
from gatewatch.aws_rollout.results import Action, ProgressEvent
from tests.support.aws_rollout import (
    ARN,
    DISABLE,
    ENABLE,
    ENABLED_API,
    FAKE_CREDENTIALS,
    World,
    client,
    down_intervals,
    make_world,
    max_both_down_seconds,
    someone_else_sets_logs,
)
from tests.support.standins.ec2 import Ec2StandIn
from tests.support.standins.ec2_api import CallRecord
from tests.support.standins.ec2_model import DOWN, StandInSettings


class Killed(BaseException):
    """Stands for the process being killed at a given point of the rollout."""


def test_normal_rollout_changes_tunnel_2_only_after_tunnel_1_is_up_again() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)

    result = world.run([vpn])

    assert result.ok, result.errors
    assert [t.action for t in result.connections[0].tunnels] == [Action.CHANGED] * 2
    calls = world.standin.modify_calls(vpn)
    assert [c.outside_ip for c in calls] == [ip1, ip2]
    (_down1_start, down1_end), = down_intervals(world.standin, vpn, ip1)
    # Tunnel 2 was modified only after tunnel 1 was truly UP again, not on a stale UP.
    assert calls[1].time >= down1_end
    assert world.standin.log_options(vpn, ip1) == ENABLED_API
    assert world.standin.log_options(vpn, ip2) == ENABLED_API
    assert max_both_down_seconds(world.standin) == 0.0
    assert result.connections[0].tunnels[0].seconds_down == pytest.approx(305, abs=1)


def test_stale_up_right_after_the_change_is_not_trusted() -> None:
    # A long telemetry lag: the tunnel still reads UP for two minutes after the call.
    world = make_world(StandInSettings(telemetry_lag=120.0))
    vpn = world.standin.add_connection()
    ip1, _ = world.standin.tunnel_ips(vpn)

    result = world.run([vpn])

    assert result.ok
    calls = world.standin.modify_calls(vpn)
    (_, down1_end), = down_intervals(world.standin, vpn, ip1)
    assert calls[1].time >= down1_end + 120.0
    assert any("stale" in e.message for e in world.events if e.phase == "wait")
    assert max_both_down_seconds(world.standin) == 0.0


def test_already_enabled_tunnels_get_no_modify_call() -> None:
    world = make_world()
    vpn = world.standin.add_connection(ENABLED_API)
    # Same group written with the ":*" suffix describe-log-groups prints: still a match.
    options = LogOptions(True, ARN + ":*", "json")

    result = world.run([vpn], options)

    assert result.ok
    assert [t.action for t in result.connections[0].tunnels] == [Action.SKIPPED] * 2
    assert world.standin.modify_calls() == []
    assert max_both_down_seconds(world.standin) == 0.0


def test_different_format_is_not_a_match() -> None:
    world = make_world()
    vpn = world.standin.add_connection(ENABLED_API)

    result = world.run([vpn], LogOptions(True, ARN, "text"))

    assert result.count(Action.CHANGED) == 2
    assert world.standin.log_options(vpn, world.standin.tunnel_ips(vpn)[1])["LogOutputFormat"] \
        == "text"


def test_tunnel_that_never_comes_back_stops_and_leaves_the_other_untouched() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    world.standin.break_tunnel(vpn, ip1)
    start = world.clock.now()

    result = world.run([vpn], timeout=600.0)

    conn = result.connections[0]
    assert not result.ok
    assert [t.action for t in conn.tunnels] == [Action.FAILED, Action.NOT_TOUCHED]
    assert conn.error is not None
    assert "tunnel 1" in conn.error and ip1 in conn.error
    assert "within 600s" in conn.error and f"tunnel 2 ({ip2}) was not touched" in conn.error
    assert [c.outside_ip for c in world.standin.modify_calls()] == [ip1]
    assert down_intervals(world.standin, vpn, ip2) == []
    assert world.clock.now() - start == pytest.approx(600.0, abs=15.0)
    assert max_both_down_seconds(world.standin) == 0.0


def test_other_tunnel_already_down_is_refused_and_nothing_is_touched() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    world.standin.set_status(vpn, ip2, DOWN)  # e.g. a pre-shared key mismatch
    world.clock.advance(60.0)  # long enough for telemetry to show it

    result = world.run([vpn])

    conn = result.connections[0]
    assert conn.error is not None
    assert "refused" in conn.error and f"tunnel 2 ({ip2}) is DOWN" in conn.error
    assert "Nothing was modified" in conn.error
    assert conn.tunnels[0].action is Action.FAILED
    assert conn.tunnels[1].action is Action.NOT_TOUCHED
    assert world.standin.modify_calls() == []
    assert world.standin.log_options(vpn, ip1) == {"LogEnabled": False}


def test_throttling_and_5xx_are_retried_with_backoff_then_succeed() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    world.standin.inject_errors("DescribeVpnConnections", "RequestLimitExceeded", 3)
    world.standin.inject_errors("ModifyVpnTunnelOptions", "RequestLimitExceeded", 2)
    world.standin.inject_errors("ModifyVpnTunnelOptions", "InternalError", 1)

    result = world.run([vpn])

    assert result.ok, result.errors
    errors = [c.error_code for c in world.standin.calls if c.error_code]
    assert errors == ["RequestLimitExceeded"] * 5 + ["InternalError"]
    retries = [e for e in world.events if e.phase == "retry"]
    assert len(retries) == 6
    # The three describe retries at the start: elapsed counts from when the connection began.
    assert retries[0].elapsed == 0.0 and 0.0 < retries[1].elapsed < retries[2].elapsed
    assert len(world.standin.modify_calls()) == 2  # the rejected calls changed nothing
    assert max_both_down_seconds(world.standin) == 0.0


def test_persistent_throttling_gives_up_with_a_clear_error() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    world.standin.inject_errors("DescribeVpnConnections", "RequestLimitExceeded", 50)

    result = world.run([vpn])

    assert not result.ok
    assert "still failing after 8 tries" in (result.connections[0].error or "")
    assert world.standin.modify_calls() == []


def test_change_in_flight_by_someone_else_is_waited_out_then_refused() -> None:
    # Someone changed tunnel 2 to other options a moment ago, and State does not show it
    # (`available`, as the service model's enum alone would have it): the service answers
    # IncorrectState, and once telemetry shows tunnel 2 DOWN the engine refuses.
    # tests/aws_rollout/test_modifying.py covers the State EC2 reports (`modifying`).
    world = make_world(StandInSettings(modifying_seconds=0.0))
    vpn = world.standin.add_connection()
    _ip1, ip2 = world.standin.tunnel_ips(vpn)
    someone_else_sets_logs(world, vpn, ip2, "text")

    result = world.run([vpn])

    assert "refused" in (result.connections[0].error or "")
    codes = [c.error_code for c in world.standin.calls if c.action == "ModifyVpnTunnelOptions"]
    assert "IncorrectState" in codes
    assert [c.outside_ip for c in world.standin.modify_calls()] == [ip2]  # only theirs
    assert max_both_down_seconds(world.standin) == 0.0


def test_interrupted_after_tunnel_1_rerun_finishes_tunnel_2_only() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)

    def kill_after_tunnel_1(event: ProgressEvent) -> None:
        if event.tunnel == 1 and event.phase == "changed":
            raise Killed

    with pytest.raises(Killed):
        world.run([vpn], progress=kill_after_tunnel_1)
    assert [c.outside_ip for c in world.standin.modify_calls()] == [ip1]

    result = world.run([vpn])

    assert result.ok
    assert [t.action for t in result.connections[0].tunnels] == [Action.SKIPPED, Action.CHANGED]
    assert [c.outside_ip for c in world.standin.modify_calls()] == [ip1, ip2]
    assert max_both_down_seconds(world.standin) == 0.0


def test_interrupted_mid_change_rerun_waits_instead_of_changing_again() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)

    def kill_right_after_the_call(event: ProgressEvent) -> None:
        if event.tunnel == 1 and event.phase == "modify" and "accepted" in event.message:
            raise Killed

    with pytest.raises(Killed):
        world.run([vpn], progress=kill_right_after_the_call)
    # The rerun starts at once, while telemetry still shows tunnel 1 UP (stale).
    result = world.run([vpn])

    assert result.ok, result.errors
    assert [c.outside_ip for c in world.standin.modify_calls()] == [ip1, ip2]
    (_, down1_end), = down_intervals(world.standin, vpn, ip1)
    assert world.standin.modify_calls()[1].time >= down1_end
    assert max_both_down_seconds(world.standin) == 0.0


def test_rerun_after_a_kill_during_the_wait_waits_for_the_down_tunnel() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    _ip1, _ = world.standin.tunnel_ips(vpn)

    def kill_while_down(event: ProgressEvent) -> None:
        if event.tunnel == 1 and event.phase == "wait" and event.status == DOWN:
            raise Killed

    with pytest.raises(Killed):
        world.run([vpn], progress=kill_while_down)
    result = world.run([vpn])

    tunnel1 = result.connections[0].tunnels[0]
    assert result.ok
    assert tunnel1.action is Action.SKIPPED and tunnel1.seconds_waited > 0
    assert "interrupted run" in tunnel1.messages[0]
    assert len(world.standin.modify_calls()) == 2
    assert max_both_down_seconds(world.standin) == 0.0


def test_disable_path_turns_logs_off_one_tunnel_at_a_time() -> None:
    world = make_world()
    vpns = [world.standin.add_connection(ENABLED_API) for _ in range(2)]

    result = world.run(vpns, DISABLE)

    assert result.ok
    assert result.count(Action.CHANGED) == 4
    for vpn in vpns:
        for ip in world.standin.tunnel_ips(vpn):
            assert world.standin.log_options(vpn, ip) == {"LogEnabled": False,
                                                          "LogOutputFormat": "json"}
    assert max_both_down_seconds(world.standin) == 0.0
    assert world.run(vpns, DISABLE).count(Action.SKIPPED) == 4  # and idempotent


def test_connections_roll_out_in_parallel_tunnels_strictly_in_turn() -> None:
    timings = {}
    for parallel in (8, 2):
        world = make_world()
        vpns = [world.standin.add_connection() for _ in range(8)]
        start = world.clock.now()
        result = world.run(vpns, max_parallel=parallel)
        timings[parallel] = world.clock.now() - start
        assert result.ok and result.count(Action.CHANGED) == 16
        assert max_both_down_seconds(world.standin) == 0.0
        if parallel == 8:
            first_calls = sorted(c.time for c in world.standin.modify_calls()[:8])
            assert first_calls[-1] - first_calls[0] < 1.0  # all tunnel 1s went together
    single = make_world()
    start = single.clock.now()
    single.run([single.standin.add_connection()])
    one = single.clock.now() - start
    assert timings[8] <= 1.2 * one
    assert timings[2] >= 3.5 * one


def test_rollout_function_builds_its_client_and_engine_pickles(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    clock = SimClock()
    standin = Ec2StandIn(clock, StandInSettings(telemetry_lag=5.0))
    vpn = standin.add_connection()
    with standin.serve() as url:
        # As a Pulumi dynamic provider would hold it: a client recipe and the real clock.
        engine = RolloutEngine(Ec2ClientSpec("us-east-1", url), ENABLE)
        assert pickle.loads(pickle.dumps(engine)).ec2 == Ec2ClientSpec("us-east-1", url)
        result = rollout([vpn], ENABLE, region="us-east-1", endpoint_url=url, clock=clock,
                         settings=RolloutSettings(poll_interval=10.0))
    assert result.ok, result.errors
    assert len(standin.modify_calls()) == 2
    assert max_both_down_seconds(standin) == 0.0


def test_log_options_refuse_impossible_combinations() -> None:
    with pytest.raises(ValueError, match="log_group_arn"):
        LogOptions(True)
    with pytest.raises(ValueError, match="json or text"):
        LogOptions(True, ARN, "xml")


# --- connection State --------------------------------------------------------------------------


def _rejected_modifies(world: World) -> list[CallRecord]:
    return [c for c in world.standin.calls
            if c.action == "ModifyVpnTunnelOptions" and c.error_code is not None]


def test_pending_connection_is_waited_for_then_rolled_out() -> None:
    world = make_world()
    created = world.clock.now()
    vpn = world.standin.add_connection(pending_seconds=120.0)
    ip1, ip2 = world.standin.tunnel_ips(vpn)

    result = world.run([vpn])

    assert result.ok, result.errors
    calls = world.standin.modify_calls(vpn)
    assert [c.outside_ip for c in calls] == [ip1, ip2]
    assert calls[0].time >= created + 120.0  # not before the connection was available
    assert _rejected_modifies(world) == []  # the engine waited; the service never had to refuse
    waits = [e for e in world.events if e.phase == "wait" and "pending" in e.message]
    assert waits and waits[0].tunnel == 1
    assert waits[-1].elapsed > waits[0].elapsed
    assert max_both_down_seconds(world.standin) == 0.0


def test_connection_pending_past_the_timeout_stops_with_nothing_modified() -> None:
    world = make_world()
    vpn = world.standin.add_connection(pending_seconds=5_000.0)
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    start = world.clock.now()

    result = world.run([vpn], timeout=300.0)

    conn = result.connections[0]
    assert conn.error is not None
    assert f"{vpn} was still pending after 300s" in conn.error
    assert "nothing was modified" in conn.error
    assert f"tunnel 2 ({ip2}) was not touched" in conn.error
    assert [t.action for t in conn.tunnels] == [Action.FAILED, Action.NOT_TOUCHED]
    assert [c for c in world.standin.calls if c.action == "ModifyVpnTunnelOptions"] == []
    assert world.clock.now() - start == pytest.approx(300.0, abs=15.0)
    assert world.standin.log_options(vpn, ip1) == {"LogEnabled": False}


@pytest.mark.parametrize("state", ["deleting", "deleted"])
def test_deleting_or_deleted_connection_stops_at_once_naming_it(state: str) -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    world.standin.delete_connection(vpn, deleting_seconds=30.0)
    if state == "deleted":
        world.clock.advance(31.0)
    assert world.standin.state(vpn) == state
    start = world.clock.now()

    result = world.run([vpn])

    conn = result.connections[0]
    assert conn.error is not None
    assert conn.error.startswith(f"{vpn} is {state} (it is being deleted)")
    assert f"nothing was modified: tunnel 1 ({ip1}) was left as it is" in conn.error
    assert f"tunnel 2 ({ip2}) was not touched" in conn.error
    assert [c for c in world.standin.calls if c.action == "ModifyVpnTunnelOptions"] == []
    assert world.clock.now() == start  # no waiting for a connection that is going away
    assert world.events[-1].phase == "failed" and world.events[-1].tunnel == 1


def test_connection_deleted_after_tunnel_1_stops_before_tunnel_2() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)

    def delete_after_tunnel_1(event: ProgressEvent) -> None:
        if event.tunnel == 1 and event.phase == "changed":
            world.standin.delete_connection(vpn)

    result = world.run([vpn], progress=delete_after_tunnel_1)

    conn = result.connections[0]
    assert [t.action for t in conn.tunnels] == [Action.CHANGED, Action.FAILED]
    assert conn.error is not None and "stopped before changing tunnel 2" in conn.error
    assert f"tunnel 1 ({ip1}) had already been done" in conn.error
    assert [c.outside_ip for c in world.standin.modify_calls()] == [ip1]
    assert _rejected_modifies(world) == []
    assert world.standin.log_options(vpn, ip2) == {"LogEnabled": False}


# --- retry lines ---------------------------------------------------------------------------------


def test_retry_lines_show_time_since_work_on_the_tunnel_began() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    injected: list[float] = []

    def throttle_while_waiting(event: ProgressEvent) -> None:
        if event.tunnel == 1 and event.phase == "wait" and event.status == DOWN and not injected:
            injected.append(event.elapsed)
            world.standin.inject_errors("DescribeVpnConnections", "RequestLimitExceeded", 2)

    result = world.run([vpn], progress=throttle_while_waiting)

    assert result.ok, result.errors
    retries = [e for e in world.events if e.phase == "retry"]
    assert [e.tunnel for e in retries] == [1, 1]
    # Well into tunnel 1's work (its change, then >= 30 s of telemetry lag), and growing.
    assert retries[0].elapsed >= 30.0
    assert retries[1].elapsed > retries[0].elapsed
    assert "RequestLimitExceeded: Request limit exceeded." in retries[0].message


def test_unreachable_endpoint_fails_fast_with_a_clear_message() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    clock = SimClock()
    events: list[ProgressEvent] = []
    engine = RolloutEngine(client(f"http://127.0.0.1:{port}"), ENABLE,
                           RolloutSettings(poll_interval=10.0), clock, events.append, seed=7)
    vpn = "vpn-0123456789abcdef0"
    start = clock.now()

    result = engine.run([vpn])

    error = result.connections[0].error or ""
    assert error.startswith(f"{vpn}: could not connect to the EC2 endpoint after 3 tries")
    assert "EndpointConnectionError" in error and "check the endpoint URL" in error
    retries = [e for e in events if e.phase == "retry"]
    # The up-front read of all ids is what retries (named by the ids it reads).
    assert len(retries) == 2 and all(e.vpn_connection_id == vpn for e in retries)
    assert "retry 1/2" in retries[0].message and "EndpointConnectionError" in retries[0].message
    assert retries[1].elapsed > 0.0
    assert clock.now() - start < 5.0  # seconds of backoff, not minutes
