"""`gatewatch triage` end to end: each verdict class from a fixture timeline on both clouds,
read through the real clients from the stand-ins."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from gatewatch.catalog.load import load
from gatewatch.catalog.model import SavedQuery
from gatewatch.cli import main
from gatewatch.live.triage.model import iso
from tests.support.live_world import GW_ID, VPN, World, ms
from tests.support.second_region import VPN_W, second_region
from tests.support.triage import run_triage
from tests.support.triage_scenarios import SCENARIOS, build


@pytest.fixture
def estate(estate: World) -> World:
    """The healthy estate (tests/conftest.py builds the world)."""
    return estate.healthy()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_each_verdict_class_from_its_fixture_timeline(
        estate: World, capsys: pytest.CaptureFixture[str], scenario: str) -> None:
    """Each outage is seen from both ends: one drop, both ends' own times on it, one verdict,
    starting at the earliest evidence on either side."""
    scene = build(estate, scenario)
    expected = SCENARIOS[scenario][1]
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert len(result["drops"]) == 1, result["drops"]
    (drop,) = result["drops"]
    assert drop["verdict"] == expected.verdict
    assert sorted(drop["clouds"]) == ["aws", "azure"]
    assert sorted(side["cloud"] for side in drop["sides"]) == ["aws", "azure"]
    assert drop["time"] == iso(scene.t0 + dt.timedelta(seconds=expected.start)), drop["start"]
    assert drop["time"] <= min(side["down"] for side in drop["sides"])
    assert drop["label"]
    if drop["verdict"] not in ("still-down", "same-instance-reconnect"):
        assert drop["evidence"], drop
    assert estate.azure.errors == []


def test_aws_endpoint_replacement_starts_at_the_bgp_cease(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    """AWS's BGP Cease comes first, its tunnel log's Down minutes later: the one drop starts at
    the Cease and keeps each end's own down time."""
    scene = build(estate, "endpoint-replacement-bgp-first")
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    (drop,) = result["drops"]
    assert drop["start"]["kind"] == "bgp" and "Cease" in drop["start"]["text"]
    assert drop["start"]["cloud"] == "aws"
    downs = {side["cloud"]: side["down"] for side in drop["sides"]}
    t = scene.t0
    assert downs == {"azure": iso(t + dt.timedelta(seconds=30)),
                     "aws": iso(t + dt.timedelta(seconds=240))}
    backs = {side["cloud"]: side["recovered"] for side in drop["sides"]}
    assert backs == {"azure": iso(t + dt.timedelta(seconds=300)),
                     "aws": iso(t + dt.timedelta(seconds=330))}
    assert drop["recovered"] == backs["aws"] and drop["down_seconds"] == 330
    assert drop["verdict"] == "aws-endpoint-replacement"
    assert any(e["kind"] == "health" for e in drop["evidence"])


def test_failover_evidence_names_instances_and_maintenance(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    build(estate, "maintenance-failover")
    code, result, _ = run_triage(estate, capsys)
    assert code == 0
    (drop,) = result["drops"]
    (azure,) = [d for d in drop["sides"] if d["cloud"] == "azure"]
    assert (azure["instance"], azure["recovered_instance"]) == ("IN_0", "IN_1")
    assert azure["down_seconds"] == 8
    assert any("HostMaintenanceEvent" in e["text"] for e in drop["evidence"])
    kinds = {e["kind"] for e in result["events"]}
    assert {"down", "up", "maintenance", "bgp"} <= kinds


def test_psk_mismatch_is_still_down_and_says_so(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    build(estate, "psk-mismatch")
    code, result, _ = run_triage(estate, capsys)
    assert code == 0
    for drop in result["drops"]:
        assert drop["still_down"] and drop["label"].endswith("(still down)")
    texts = " ".join(e["text"] for d in result["drops"] for e in d["evidence"])
    assert "AUTHENTICATION_FAILED" in texts and "pre-shared key mismatch" in texts


def test_queries_run_are_the_kits_saved_queries_bound_not_copied(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    build(estate, "same-instance")
    run_triage(estate, capsys, "--gateway", GW_ID)
    saved = {q.name: q.body for q in load(SavedQuery)}
    ran = estate.azure.queries
    assert len(ran) == 4
    for name, text in zip(["tunnel-history", "gateway-diagnostic-log", "route-bgp-history",
                           "ike-parse"], ran, strict=True):
        body = saved[name]
        # everything after the let statements is the saved query, byte for byte
        tail = body[body.index("AzureDiagnostics"):]
        assert text.endswith(tail), name
        assert text.count("\nlet ") == body.count("\nlet ")
    assert f'let RemoteIP = "{estate.tunnel_ips()[0]}";' in ran[0]
    assert 'let GatewayName = "vpngw-hub-01";' in ran[0]
    # one Log Analytics client for the four queries: token, ARM (the workspace), the Activity
    # log (azure-mgmt-monitor's client: the drop's gateway) and Log Analytics connections
    assert estate.azure.connections <= 4, estate.azure.connections


def test_text_output_marks_drops_and_verdicts(estate: World,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    build(estate, "maintenance-failover")
    code, text, _ = run_triage(estate, capsys, json_out=False)
    assert code == 0
    assert "=> Gateway failover for maintenance" in text
    # one drop, both ends' own times on it
    assert "Drop 1:" in text and "Drop 2:" not in text and "on IN_1" in text
    assert "seen from azure and aws" in text
    assert "    azure: Azure VPNGW-HUB-01 IN_0: down " in text and "    aws: AWS vpn-" in text


def test_health_needs_a_support_plan_is_a_note_not_a_failure(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    build(estate, "same-instance")
    estate.health.subscription_required = True
    code, result, _ = run_triage(estate, capsys)
    assert code == 0
    assert code == 0
    assert any("SubscriptionRequiredException" in n for n in result["notes"])


def test_unknown_tunnel_on_aws_is_a_note(estate: World,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    build(estate, "same-instance")
    code, result, _ = run_triage(estate, capsys, "--vpn-connection", "vpn-0fffffffffffffff0")
    assert code == 0
    assert any("vpn-0fffffffffffffff0 not found" in n for n in result["notes"])
    assert [d["clouds"] for d in result["drops"]] == [["azure"]]  # one end: still its drop


@pytest.mark.parametrize(("args", "flag"), [
    (["--remote-ip", "203.0.113.999", "--since", "2h"], "--remote-ip"),
    (["--remote-ip", "203.0.113.10", "--since", "2 hours"], "--since"),
    (["--remote-ip", "203.0.113.10", "--since", "45d"], "--since"),
    (["--remote-ip", "203.0.113.10"], "--from/--to"),
    (["--remote-ip", "203.0.113.10", "--from", "yesterday", "--to", "2026-01-01T00:00:00Z"],
     "--from"),
    (["--remote-ip", "203.0.113.10", "--from", "2026-01-02T00:00:00Z",
      "--to", "2026-01-01T00:00:00Z"], "--to"),
    (["--remote-ip", "203.0.113.10", "--since", "2h", "--from", "2026-01-01T00:00:00Z"],
     "--since"),
    (["--remote-ip", "203.0.113.10", "--since", "2h", "--gateway", "/subscriptions/x"],
     "--gateway"),
    (["--remote-ip", "203.0.113.10", "--since", "2h", "--vpn-connection", "vpn-xyz"],
     "--vpn-connection"),
    (["--remote-ip", "203.0.113.10", "--since", "2h", "--html", "/nonexistent/dir/x.html"],
     "--html"),
])
def test_bad_arguments_exit_2_naming_the_flag(
        capsys: pytest.CaptureFixture[str], args: list[str], flag: str) -> None:
    code = main(["triage", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: {flag}") and "Traceback" not in err


def test_aws_bgp_events_read_from_their_own_log_group_when_configured(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    build(estate, "same-instance")
    bgp_group = "/aws/vendedlogs/gatewatch/live-bgp"
    logs = estate.boto("logs")
    logs.create_log_group(logGroupName=bgp_group)
    ip = estate.tunnel_ips()[0]
    at = estate.now - dt.timedelta(hours=1)
    # AWS's shape ("AWS Site-to-Site VPN logs", example log format for Tunnel BGP logs):
    # message is an object with details; the stream named like resource_id, <vpn>_<ip>
    stream = f"{VPN}_{ip}"
    logs.create_log_stream(logGroupName=bgp_group, logStreamName=stream)
    logs.put_log_events(logGroupName=bgp_group, logStreamName=stream, logEvents=[
        {"timestamp": ms(at), "message": json.dumps({
            "resource_id": stream, "event_timestamp": ms(at), "type": "BGPStatus",
            "status": "DOWN", "message": {"details": "AWS-side peer BGP session state has "
                                          "changed from Established to Idle with neighbor "
                                          "169.254.21.1"}})},
        {"timestamp": ms(at) + 30_000, "message": json.dumps({
            "resource_id": stream, "event_timestamp": ms(at) + 30_000,
            "type": "BGPStatus", "status": "UP",
            "message": {"details": "AWS-side peer BGP session state has changed from "
                                   "OpenConfirm to Established with neighbor 169.254.21.1"}})}])

    def aws_bgp(result: Any) -> list[str]:
        return [e["text"] for e in result["events"]
                if e["cloud"] == "aws" and e["kind"] == "bgp"]

    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert aws_bgp(result) == []  # not configured: the separate group is not read
    estate.config_file.write_text(estate.config_file.read_text().replace(
        "    vpnConnections:\n", f"    bgpLogGroupName: {bgp_group}\n    vpnConnections:\n"),
        encoding="utf-8")
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert aws_bgp(result) == [
        "DOWN AWS-side peer BGP session state has changed from Established to Idle with "
        "neighbor 169.254.21.1",
        "UP AWS-side peer BGP session state has changed from OpenConfirm to Established with "
        "neighbor 169.254.21.1"]
    assert any(bgp_group in s and "BGP logs" in s for s in result["sources"])
    # a configured group that is not there is a note, not a failure
    logs.delete_log_group(logGroupName=bgp_group)
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert any(f"BGP log group {bgp_group} not found" in n for n in result["notes"])


def test_another_gateways_ike_failures_with_the_same_device_are_not_evidence(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    # A same-instance reconnect on this gateway, while another gateway of the workspace logs
    # pre-shared key failures with the same device address: they must not make the verdict.
    scene = build(estate, "same-instance")
    estate.add_rows(estate.diag_row(
        "IKEDiagnosticLog", scene.t0 + dt.timedelta(seconds=10), Resource="VPNGW-SPOKE-02",
        OperationName="IKELogEvent", Level="Error",
        Message=f"SESSION_ID :{{8a2f0c1e-0000-4000-8000-000000000099}} Remote {scene.ip}:500: "
                "Local 20.43.10.99:500: [RECEIVED] Received notify AUTHENTICATION_FAILED for "
                "IKE_AUTH"))
    code, result, _ = run_triage(estate, capsys)
    assert code == 0
    assert [d["verdict"] for d in result["drops"]] == ["same-instance-reconnect"]
    texts = " ".join(e["text"] for d in result["drops"] for e in d["evidence"])
    assert "AUTHENTICATION_FAILED" not in texts


@pytest.mark.parametrize("scenario", ["same-instance", "dpd-timeout", "psk-mismatch"])
def test_text_report_states_each_rule_and_next_step(
        estate: World, capsys: pytest.CaptureFixture[str], scenario: str) -> None:
    """The text report prints, under each drop, the rule that decided it with the numbers
    measured from the fixture's timestamps, and the next step for its class."""
    from gatewatch.live.triage.model import LABELS
    from gatewatch.live.triage.next_steps import NEXT_STEPS

    scene = build(estate, scenario)
    code, out, err = run_triage(estate, capsys, json_out=False)
    assert code == 0, err
    verdict = SCENARIOS[scenario][1].verdict
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("Drop 1: "))
    assert LABELS[verdict] in lines[head]
    block = lines[head:next((i for i in range(head + 1, len(lines))
                             if not lines[i].startswith("    ")), len(lines))]
    why = next(line for line in block if line.startswith("    why: "))
    assert f"    next step: {NEXT_STEPS[verdict]}" in block
    azure = sorted(r["TimeGenerated"] for r in estate.rows
                   if r.get("remoteIP_s") == scene.ip and r["Category"] == "TunnelDiagnosticLog")
    if scenario == "same-instance":  # back on IN_0 after the fixture's own gap
        gap = int((azure[1] - azure[0]).total_seconds())
        assert f"back on the same instance (IN_0) after {gap} s" in why
    elif scenario == "dpd-timeout":  # AWS's DPD timeout is the AWS end's drop, the earliest
        assert why.startswith('    why: AWS end: dead peer detection timed out: AWS logged '
                              '"AWS tunnel DPD timed out after 3 retransmits" at the drop')
    else:
        assert "AUTHENTICATION_FAILED" in why or "pre-shared key mismatch" in why
        assert "not back by the end of the range" in why


def test_aws_a_tunnel_in_a_second_region_is_read_there(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    """The remote IP is a tunnel of the us-west-2 connection: triage finds it with that
    region's EC2 endpoint and reads its log events from that region's group."""
    with second_region(estate) as west:
        ip = west.tunnel_ips()[0]
        at = estate.now - dt.timedelta(hours=1)
        west.put_tunnel_events(ip, [(at, {
            "event_timestamp": int(at.timestamp()), "details": "AWS tunnel is sending DPD "
            "request", "ike_phase1_state": "established", "ike_phase2_state": "established"})])
        start = (estate.now - dt.timedelta(hours=2)).isoformat()
        end = (estate.now - dt.timedelta(minutes=30)).isoformat()
        for extra in ([], ["--vpn-connection", VPN_W]):
            code = main(["triage", "--config-file", str(estate.config_file), "--remote-ip", ip,
                         "--from", start, "--to", end, "--json", *extra])
            out = capsys.readouterr()
            assert code == 0, out.err
            result = json.loads(out.out)
            assert f"AWS: {VPN_W} tunnel {ip} is UP now (DescribeVpnConnections " \
                   "VgwTelemetry)" in result["notes"]
            aws_events = [e for e in result["events"] if e["cloud"] == "aws"]
            # the event put in us-west-2's group an hour ago, on that tunnel's lane
            assert [(e["lane"], e["source"], e["text"]) for e in aws_events] == [
                (f"AWS {VPN_W} {ip}", f"tunnel log {VPN_W}-{ip}",
                 "AWS tunnel is sending DPD request")]
            assert not any("not found" in n for n in result["notes"]), result["notes"]
