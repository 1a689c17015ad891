"""`gatewatch triage` names a configuration change as a drop's cause: AWS's calls from CloudTrail
(read through boto3 from the CloudTrail stand-in) and Azure's GatewayDiagnosticLog rows."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.live_world import VPN, World
from tests.support.standins.cloudtrail import MARY, vpn_call
from tests.support.triage import one_drop, run_triage
from tests.support.triage_scenarios import SCENARIOS, Scene, build_with

ROLE_ARN = "arn:aws:sts::123456789012:assumed-role/netops/alice@example.com"
LIMIT = ("configuration changes on AWS (ModifyVpnTunnelOptions, ModifyVpnConnection, "
         "ModifyVpnConnectionOptions, ReplaceVpnTunnel, ModifyVpnTunnelCertificate) are not "
         "checked, so a drop they caused gets another verdict")


@pytest.fixture
def estate(estate: World) -> World:
    return estate.healthy()


def s(seconds: float) -> dt.timedelta:
    return dt.timedelta(seconds=seconds)


# The drop every test changes the cause of: back on the same instance after 40 s, a
# "same-instance reconnect" when nothing else explains it.
drop_back_on_the_same_instance, _ = SCENARIOS["same-instance"]
UNEXPLAINED = SCENARIOS["same-instance"][1].verdict


def test_a_tunnel_option_change_then_a_drop_is_a_configuration_change(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    scene = build_with(estate, drop_back_on_the_same_instance)
    estate.cloudtrail.records.append(vpn_call(
        "ModifyVpnTunnelOptions", scene.t0 - s(40), VPN, scene.ip,
        identity={"type": "AssumedRole", "arn": ROLE_ARN, "accountId": "123456789012"}))
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    drop = one_drop(result)
    assert drop["verdict"] == "tunnel-configuration-changed"
    assert drop["label"] == "Tunnel configuration changed"
    # both ends judged it so, and the one drop holds both ends
    assert sorted(side["cloud"] for side in drop["sides"]) == ["aws", "azure"]
    assert {side["verdict"] for side in drop["sides"]} == {"tunnel-configuration-changed"}
    (change,) = [e for e in drop["evidence"] if e["kind"] == "config"]
    assert change["text"] == (f"ModifyVpnTunnelOptions on {VPN} tunnel {scene.ip} by "
                              f"{ROLE_ARN} via aws-cli/2.15.0")
    assert change["source"] == "CloudTrail LookupEvents"
    assert change["time"] == (scene.t0 - s(40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # one LookupEvents per documented call, by EventName, one attribute each
    names = [c["LookupAttributes"][0]["AttributeValue"] for c in estate.cloudtrail.calls]
    assert sorted(names) == sorted(["ModifyVpnTunnelOptions", "ModifyVpnTunnelCertificate",
                                    "ReplaceVpnTunnel", "ModifyVpnConnection",
                                    "ModifyVpnConnectionOptions"])
    assert all(len(c["LookupAttributes"]) == 1 for c in estate.cloudtrail.calls)
    assert estate.cloudtrail.throttles == 0  # paced within 2 per second


def test_the_text_output_names_who_and_which_call(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    scene = build_with(estate, drop_back_on_the_same_instance)
    estate.cloudtrail.records.append(vpn_call("ModifyVpnTunnelOptions", scene.t0 - s(40),
                                              VPN, scene.ip))
    code, text, err = run_triage(estate, capsys, json_out=False)
    assert code == 0, err
    assert "Drop 1:" in text and "Drop 2:" not in text
    assert "Tunnel configuration changed; back" in text
    assert (f"    evidence: {(scene.t0 - s(40)).strftime('%Y-%m-%dT%H:%M:%SZ')} AWS {VPN}: "
            f"ModifyVpnTunnelOptions on {VPN} tunnel {scene.ip} by {MARY['arn']} via "
            "aws-cli/2.15.0 [CloudTrail LookupEvents]") in text


def test_a_change_of_the_other_tunnel_does_not_explain_the_drop(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    scene = build_with(estate, drop_back_on_the_same_instance)
    other = estate.tunnel_ips()[1]
    estate.cloudtrail.records.append(vpn_call("ModifyVpnTunnelOptions", scene.t0 - s(40),
                                              VPN, other))
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert one_drop(result)["verdict"] == UNEXPLAINED
    shown = [e for e in result["events"] if "ModifyVpnTunnelOptions" in e["text"]]
    assert [(e["kind"], e["text"].endswith("(the other tunnel)")) for e in shown] == [
        ("log", True)]


def test_a_change_long_before_the_drop_does_not_explain_it(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    """The stack's tunnelUpTimeoutMinutes (15 by default) bounds how long after a change a
    drop is its outage: 16 minutes before is another story, 14 is not."""
    scene = build_with(estate, drop_back_on_the_same_instance)
    estate.cloudtrail.records.append(vpn_call("ReplaceVpnTunnel", scene.t0 - s(16 * 60),
                                              VPN, scene.ip))
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert one_drop(result)["verdict"] == UNEXPLAINED
    estate.cloudtrail.records.append(vpn_call("ReplaceVpnTunnel", scene.t0 - s(14 * 60),
                                              VPN, scene.ip))
    code, result, err = run_triage(estate, capsys)
    assert one_drop(result)["verdict"] == "tunnel-configuration-changed"


def test_a_connection_change_explains_a_drop_of_either_tunnel(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    """ModifyVpnConnection names no tunnel: both tunnels go down. Flat lower-camel
    requestParameters (EC2's older record shape) are read too."""
    scene = build_with(estate, drop_back_on_the_same_instance)
    estate.cloudtrail.records.append(vpn_call("ModifyVpnConnection", scene.t0 - s(90), VPN,
                                              wrapped=False))
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    drop = one_drop(result)
    assert drop["verdict"] == "tunnel-configuration-changed"
    assert any(e["text"].startswith(f"ModifyVpnConnection on {VPN} both tunnels by ")
               for e in drop["evidence"])


def test_a_failed_call_or_another_connection_changes_nothing(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    scene = build_with(estate, drop_back_on_the_same_instance)
    estate.cloudtrail.records += [
        vpn_call("ModifyVpnTunnelOptions", scene.t0 - s(60), VPN, scene.ip,
                 error="Client.DryRunOperation"),
        vpn_call("ModifyVpnConnectionOptions", scene.t0 - s(30), "vpn-0fffffffffffffff0")]
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert one_drop(result)["verdict"] == UNEXPLAINED
    assert [e["text"] for e in result["events"] if e["source"] == "CloudTrail LookupEvents"] \
        == [f"ModifyVpnTunnelOptions on {VPN} tunnel {scene.ip} by {MARY['arn']} via "
            "aws-cli/2.15.0 (failed: Client.DryRunOperation, nothing changed)"]


def test_every_page_is_read_and_paced(estate: World,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """120 calls on other connections after ours: three pages of 50 for that event name, the
    change found on the last, no throttle met."""
    scene = build_with(estate, drop_back_on_the_same_instance)
    estate.cloudtrail.records.append(vpn_call("ModifyVpnTunnelOptions", scene.t0 - s(300),
                                              VPN, scene.ip))
    estate.cloudtrail.records += [
        vpn_call("ModifyVpnTunnelOptions", scene.t0 - s(299) + s(i), f"vpn-0{i:016x}",
                 "192.0.2.1") for i in range(120)]
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert one_drop(result)["verdict"] == "tunnel-configuration-changed"
    pages = [c for c in estate.cloudtrail.calls
             if c["LookupAttributes"][0]["AttributeValue"] == "ModifyVpnTunnelOptions"]
    assert [c.get("MaxResults") for c in pages] == [50, 50, 50]
    assert [bool(c.get("NextToken")) for c in pages] == [False, True, True]
    assert estate.cloudtrail.throttles == 0


def test_cloudtrail_denied_is_a_named_finding_and_the_rest_is_judged(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    scene = build_with(estate, drop_back_on_the_same_instance)
    estate.cloudtrail.records.append(vpn_call("ModifyVpnTunnelOptions", scene.t0 - s(40),
                                              VPN, scene.ip))
    estate.cloudtrail.denied = True
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert (f"CloudTrail not read (refused LookupEvents (AccessDeniedException)): {LIMIT}; "
            "use a profile allowed to read EC2 VPN, CloudWatch Logs, CloudWatch, EventBridge, "
            "AWS Health and CloudTrail (cloudtrail:LookupEvents) (AWS_PROFILE, `aws "
            "configure`)") in result["notes"]
    assert one_drop(result)["verdict"] == UNEXPLAINED
    assert len(estate.cloudtrail.calls) == 1  # refused: the read, not the source, is given up


def test_cloudtrail_throttled_past_the_retry_is_a_named_finding(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    build_with(estate, drop_back_on_the_same_instance)
    estate.cloudtrail.throttled = True
    code, text, err = run_triage(estate, capsys, json_out=False)
    assert code == 0, err
    assert (f"note: CloudTrail not read (answered LookupEvents with 400 ThrottlingException): "
            f"{LIMIT}") in text
    assert "Same-instance reconnect" in text
    assert len(estate.cloudtrail.calls) == 2  # one retry, then the source is given up on


def test_no_drop_no_lookup(estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    """CloudTrail's two lookups a second are shared by the account: a range without a drop
    spends none of them."""
    def quiet(c: Scene) -> None:
        c.aws_log(-600, "AWS tunnel is sending DPD request")
        c.gateway("SetGatewayConfiguration", -30, "Gateway configuration updated")
    build_with(estate, quiet)
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert result["drops"] == [] and estate.cloudtrail.calls == []


def test_azure_configuration_rows_are_the_same_verdict_and_a_validation_is_not(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    def azure_change(c: Scene) -> None:
        c.gateway("ValidateGatewayConfiguration", -50, "Validated")
        drop_back_on_the_same_instance(c)
    build_with(estate, azure_change)
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert one_drop(result)["verdict"] == UNEXPLAINED
    assert [e["kind"] for e in result["events"] if "Validate" in e["text"]] == ["log"]

    def set_connection(c: Scene) -> None:
        c.gateway("SetConnectionConfiguration", -50, "Connection aws-tunnel1 updated")
    build_with(estate, set_connection)
    code, result, err = run_triage(estate, capsys)
    drop = one_drop(result)
    assert drop["verdict"] == "tunnel-configuration-changed"
    assert [e["text"] for e in drop["evidence"] if e["kind"] == "config"] == [
        "SetConnectionConfiguration: Connection aws-tunnel1 updated"]
