"""What `collect` reads of AWS's logs, replayed through `gatewatch triage` from AWS's own text
("AWS Site-to-Site VPN logs", https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html):
BGP-log records shaped as the page's example (message an object holding details), and the
tunnel's own streams only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.support.live_world import VPN, World
from tests.support.triage import run_triage
from tests.support.triage_scenarios import Scene, build, build_with, s

# AWS's two example records, verbatim but for the times (the page's "Example log format for
# Tunnel BGP logs").
BGP_UP = {"type": "BGPStatus", "status": "UP", "message": {
    "details": "AWS-side peer BGP session state has changed from OpenConfirm to Established "
               "with neighbor 169.254.50.85"}}
ROUTE_DENIED = {"type": "RouteStatus", "status": "UPDATED", "message": {
    "prefix": "172.31.0.0/16", "asPath": "64512", "localPref": 100, "med": 100,
    "nextHopIp": "169.254.50.85", "weight": 32768,
    "details": "DENIED due to: as-path contains our own AS"}}


@pytest.fixture
def estate(estate: World) -> World:
    return estate.healthy()


def aws_examples(c: Scene) -> None:
    c.aws_log(-600, "AWS tunnel is sending DPD request", "Established")
    for at, record in ((10, ROUTE_DENIED), (20, BGP_UP)):
        when = c.t0 + s(at)
        c.aws.append((when, {"resource_id": f"{VPN}_{c.ip}",
                             "event_timestamp": int(when.timestamp() * 1000),
                             "timestamp": when.strftime("%Y-%m-%d %H:%M:%S.000Z"),
                             **record}))


def test_bgp_records_show_their_details_text_not_the_object(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    build_with(estate, aws_examples)
    code, text, err = run_triage(estate, capsys, json_out=False)
    assert code == 0, err
    lines = [line for line in text.splitlines() if " bgp " in line and "AWS vpn-" in line]
    assert len(lines) == 2, text
    assert lines[0].endswith("UPDATED route 172.31.0.0/16 DENIED due to: as-path contains "
                             "our own AS")
    assert lines[1].endswith("UP AWS-side peer BGP session state has changed from OpenConfirm "
                             "to Established with neighbor 169.254.50.85")
    assert "{" not in text and "'details'" not in text
    assert "No drops in this range." in text  # a session coming up and a denied route


def test_a_bgp_down_with_a_details_object_starts_the_outage(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    scene = build(estate, "endpoint-replacement-bgp-first")
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    (drop,) = result["drops"]
    assert drop["start"]["text"] == ("DOWN AWS-side peer sent a notification 6/2 "
                                     "(Cease/Administrative Shutdown) to neighbor 169.254.21.2")
    assert drop["time"] == (scene.t0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _neighbour_down(ip: str, when: dt.datetime) -> list[tuple[dt.datetime, dict[str, Any]]]:
    return [(when + s(at), {"event_timestamp": int((when + s(at)).timestamp()),
                            "details": text, "dpd_enabled": True, "nat_t_detected": False,
                            "ike_phase1_state": state, "ike_phase2_state": state})
            for at, text, state in ((0, "AWS tunnel DPD timed out after 3 retransmits", "Down"),
                                    (60, "AWS tunnel phase 2 SA is established", "Established"))]


@pytest.mark.parametrize("suffix", ["5", "0", ".7"])
def test_another_tunnels_stream_whose_ip_extends_this_one_is_not_read(
        estate: World, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    # 198.51.100.2 and 198.51.100.25: the stream <vpn>-198.51.100.25 starts with
    # <vpn>-198.51.100.2, and is another tunnel's
    scene = build(estate, "still-down")
    other = scene.ip + suffix
    estate.put_tunnel_events(other, _neighbour_down(other, scene.t0 + s(1800)))
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert [sorted(d["clouds"]) for d in result["drops"]] == [["aws", "azure"]]
    assert not any("DPD timed out" in e["text"] for e in result["events"]), result["events"]


def test_the_tunnels_stream_named_like_resource_id_is_read(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    # AWS documents only that the stream name "uses VpnConnectionID and
    # TunnelOutsideIPAddress"; its BGP example joins them with "_" (resource_id)
    scene = build(estate, "still-down")
    estate.put_tunnel_events(scene.ip, [(scene.t0 + s(30), {
        "resource_id": f"{VPN}_{scene.ip}", "event_timestamp": 0, **BGP_UP})],
        stream=f"{VPN}_{scene.ip}")
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert any(e["text"].startswith("UP AWS-side peer") for e in result["events"])


def test_azure_rows_with_status_and_state_change_reason_replay_and_show_the_reason(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    # A TunnelDiagnosticLog row as Microsoft's sample query reads it ("Queries for the
    # AzureDiagnostics table": status_s, remoteIP_s, stateChangeReason_s). Microsoft does not
    # document the reason's values: the test holds a placeholder and checks it is shown as is.
    reason = "reason as the gateway logged it"
    scene = build(estate, "same-instance")
    status = {"TunnelDisconnected": "Disconnected", "TunnelConnected": "Connected"}
    estate.rows[:] = [dict(r, status_s=status[r["OperationName"]], stateChangeReason_s=reason)
                      if r.get("OperationName") in status else r for r in estate.rows]
    estate.add_rows()
    code, text, err = run_triage(estate, capsys, json_out=False)
    assert code == 0, err
    assert f"TunnelDisconnected on GatewayTenantWorker_IN_0 (reason: {reason})" in text
    assert "Same-instance reconnect" in text
    assert estate.azure.errors == []
    assert scene.ip in text
