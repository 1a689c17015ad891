"""A connection EC2 reports as `modifying` (a change being applied) is waited out like `pending`,
never acted on, in `apply` and `maintenance`, whether the state ends before or after the
changed tunnel is back UP.

EC2's State during a change: botocore's VpnState enum has no `modifying`, but terraform-provider-
aws waits for `modifying` -> `available` after every ModifyVpnTunnelOptions and
ModifyVpnConnection (internal/service/ec2, `vpnStateModifying`, `waitVPNConnectionUpdated`). The
EC2 stand-in reports it for `modifying_seconds` after each change (tests/support/standins/).
"""

from __future__ import annotations

import pytest

from gatewatch.aws_rollout.results import Action
from tests.support.aws_rollout import (
    connection_with_maintenance,
    make_world,
    max_both_down_seconds,
    someone_else_sets_logs,
)
from tests.support.standins.ec2_model import AVAILABLE, MODIFYING, UP, StandInSettings

MUTATING = ("ModifyVpnTunnelOptions", "ReplaceVpnTunnel")


def _state_at_each_mutation(world: object) -> list[str]:
    """The State a read would have answered at the moment of each accepted mutating call."""
    standin = world.standin  # type: ignore[attr-defined]
    states = []
    for call in standin.calls:
        if call.action in MUTATING and call.error_code is None:
            conn = standin._connections[call.vpn_connection_id]
            # Just before the call: the call itself starts a new `modifying` window.
            states.append(standin.reported_state(conn, call.time - 1e-6))
    return states


def _up_again(world: object, ip: str, after: float) -> float:
    standin = world.standin  # type: ignore[attr-defined]
    return min(e.time for e in standin.timeline(until=after + 10_000)
               if e.outside_ip == ip and e.status == UP and e.time > after)


@pytest.mark.parametrize("modifying_seconds", [60.0, 240.0, 400.0],
                         ids=["ends-before-the-tunnel-is-back", "default", "outlasts-the-tunnel"])
def test_apply_changes_a_tunnel_only_on_an_available_connection(modifying_seconds: float) -> None:
    world = make_world(StandInSettings(modifying_seconds=modifying_seconds))
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)

    result = world.run([vpn])

    assert result.ok, result.errors
    assert [t.action for t in result.connections[0].tunnels] == [Action.CHANGED, Action.CHANGED]
    assert _state_at_each_mutation(world) == [AVAILABLE, AVAILABLE]
    first, second = (c for c in world.standin.modify_calls())
    assert (first.outside_ip, second.outside_ip) == (ip1, ip2)
    # Tunnel 2 waited for both: tunnel 1 back UP and the connection available again.
    assert second.time >= _up_again(world, ip1, first.time)
    assert second.time >= first.time + modifying_seconds
    assert not [c for c in world.standin.calls if c.error_code == "IncorrectState"]
    assert max_both_down_seconds(world.standin) == 0.0
    waits = [e.message for e in world.events if e.phase == "wait"]
    if modifying_seconds > 305:  # the state outlasts tunnel 1's outage (5 s + 300 s)
        assert any(f"connection is {MODIFYING}; waiting" in m for m in waits), waits


def test_someone_elses_change_in_flight_is_waited_out_then_ours_follows() -> None:
    # Someone changed tunnel 1 to our options a moment ago: State reads `modifying` and
    # tunnel 1 goes DOWN. The run neither calls while `modifying` nor touches tunnel 2 before
    # tunnel 1 is back.
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    someone_else_sets_logs(world, vpn, ip1, "json")

    result = world.run([vpn])

    assert result.ok, result.errors
    assert [c.outside_ip for c in world.standin.modify_calls()] == [ip1, ip2]  # theirs, ours
    assert _state_at_each_mutation(world) == [AVAILABLE, AVAILABLE]
    assert max_both_down_seconds(world.standin) == 0.0


def test_a_connection_still_modifying_at_the_timeout_stops_with_nothing_changed() -> None:
    world = make_world(StandInSettings(modify_seconds=5_000.0))
    vpn = world.standin.add_connection()
    ip1, _ip2 = world.standin.tunnel_ips(vpn)
    someone_else_sets_logs(world, vpn, ip1, "text")

    result = world.run([vpn], timeout=600.0)

    assert not result.ok
    assert f"was still {MODIFYING} after 600s" in (result.connections[0].error or "")
    assert len(world.standin.modify_calls()) == 1  # theirs only
    assert max_both_down_seconds(world.standin) == 0.0


def test_maintenance_waits_for_a_modifying_connection_too() -> None:
    world = make_world(StandInSettings(modifying_seconds=400.0))
    vpn, ip1, ip2 = connection_with_maintenance(world)

    engine_result = world.maintain([vpn])

    assert engine_result.ok, engine_result.errors
    replaced = [c for c in world.standin.calls
                if c.action == "ReplaceVpnTunnel" and c.error_code is None]
    assert [c.outside_ip for c in replaced] == [ip1, ip2]
    assert replaced[1].time >= replaced[0].time + 400.0
    assert _state_at_each_mutation(world) == [AVAILABLE, AVAILABLE]
    assert max_both_down_seconds(world.standin) == 0.0
