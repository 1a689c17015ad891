"""The EC2 stand-in speaks the real wire format and models the service's behaviour."""

from __future__ import annotations

import urllib.request
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError

from tests.support.aws_rollout import ARN, ENABLED_API, client, make_world
from tests.support.standins.ec2_model import DOWN, UP, StandInSettings
from tests.support.standins.ec2xml import EC2_XMLNS, render_response

NS = {"ec2": EC2_XMLNS}


def _modify(ec2: object, vpn: str, ip: str, **cw: object) -> dict:
    options = cw or ENABLED_API
    return ec2.modify_vpn_tunnel_options(  # type: ignore[attr-defined, no-any-return]
        VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=ip,
        TunnelOptions={"LogOptions": {"CloudWatchLogOptions": options}},
    )


def test_describe_xml_has_the_service_element_paths() -> None:
    world = make_world()
    vpn = world.standin.add_connection(ENABLED_API)
    status, body = world.standin.handle({"Action": "DescribeVpnConnections",
                                         "Version": "2016-11-15", "VpnConnectionId.1": vpn})
    root = ET.fromstring(body)
    assert status == 200 and root.tag == f"{{{EC2_XMLNS}}}DescribeVpnConnectionsResponse"
    item = "ec2:vpnConnectionSet/ec2:item"
    assert [e.text for e in root.findall(f"{item}/ec2:vgwTelemetry/ec2:item/ec2:status", NS)] \
        == [UP, UP]
    log = "ec2:options/ec2:tunnelOptionSet/ec2:item/ec2:logOptions/ec2:cloudWatchLogOptions"
    assert [e.text for e in root.findall(f"{item}/{log}/ec2:logGroupArn", NS)] == [ARN, ARN]
    assert [e.text for e in root.findall(f"{item}/{log}/ec2:logEnabled", NS)] == ["true", "true"]


def test_boto3_parses_describe_and_modify_through_both_transports() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    with world.standin.serve() as url:
        for ec2 in (world.ec2, client(url)):
            conn = ec2.describe_vpn_connections(VpnConnectionIds=[vpn])["VpnConnections"][0]
            assert [t["OutsideIpAddress"] for t in conn["Options"]["TunnelOptions"]] == [ip1, ip2]
            assert {t["Status"] for t in conn["VgwTelemetry"]} == {UP}
            assert conn["VgwTelemetry"][0]["LastStatusChange"].timestamp() == \
                pytest.approx(world.clock.now() - 0.0, abs=1.0)
        out = _modify(client(url), vpn, ip1)
    cw = out["VpnConnection"]["Options"]["TunnelOptions"][0]["LogOptions"]["CloudWatchLogOptions"]
    assert cw == ENABLED_API


def test_second_modification_while_one_is_applied_is_incorrect_state() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    _modify(world.ec2, vpn, ip1)
    with pytest.raises(ClientError) as err:
        _modify(world.ec2, vpn, ip2)
    assert err.value.response["Error"]["Code"] == "IncorrectState"
    world.clock.advance(StandInSettings().modify_seconds)
    _modify(world.ec2, vpn, ip2)  # accepted once the first one is applied


def test_telemetry_lags_the_true_state() -> None:
    world = make_world(StandInSettings(down_delay=5, outage_seconds=300, telemetry_lag=30))
    vpn = world.standin.add_connection()
    ip1, _ = world.standin.tunnel_ips(vpn)
    world.clock.advance(100)
    changed_at = world.clock.now()
    _modify(world.ec2, vpn, ip1)

    def reported() -> tuple[str, float]:
        conn = world.ec2.describe_vpn_connections(VpnConnectionIds=[vpn])["VpnConnections"][0]
        tel = conn["VgwTelemetry"][0]
        return tel["Status"], tel["LastStatusChange"].timestamp()

    world.clock.advance(20)  # truly DOWN since +5, still reported UP from before the change
    status, since = reported()
    assert status == UP and since < changed_at
    world.clock.advance(20)
    assert reported() == (DOWN, pytest.approx(changed_at + 5))
    world.clock.advance(300)
    assert reported() == (UP, pytest.approx(changed_at + 305))


def test_service_errors_parse_as_client_errors_with_status() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, _ = world.standin.tunnel_ips(vpn)
    world.standin.inject_errors("DescribeVpnConnections", "RequestLimitExceeded")
    cases = [
        (lambda: world.ec2.describe_vpn_connections(), "RequestLimitExceeded", 503),
        (lambda: world.ec2.describe_vpn_connections(VpnConnectionIds=["vpn-0123456789abcdef0"]),
         "InvalidVpnConnectionID.NotFound", 400),
        (lambda: _modify(world.ec2, vpn, "192.0.2.1"), "InvalidParameterValue", 400),
        (lambda: _modify(world.ec2, vpn, ip1, LogEnabled=True, LogGroupArn=ARN,
                         LogOutputFormat="xml"), "InvalidParameterValue", 400),
        (lambda: _modify(world.ec2, vpn, ip1, LogEnabled=True), "InvalidParameterValue", 400),
    ]
    for call, code, status in cases:
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == code
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert world.standin.modify_calls() == []


def test_unknown_parameters_and_actions_are_refused_over_http() -> None:
    world = make_world()
    with world.standin.serve() as url:
        for body, code in [
            (b"Action=DescribeVpnConnections&Version=2016-11-15&Bogus=1", "UnknownParameter"),
            (b"Action=ModifyVpnTunnelOptions&Version=2016-11-15&VpnConnectionId=vpn-1",
             "MissingParameter"),
            (b"Action=RunInstances2&Version=2016-11-15", "InvalidAction"),
        ]:
            request = urllib.request.Request(url, data=body, method="POST")
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(request, timeout=5)
            assert err.value.code == 400
            assert ET.fromstring(err.value.read()).findtext("Errors/Error/Code") == code


def test_reused_describe_xml_is_what_a_fresh_rendering_gives_at_every_step() -> None:
    """The stand-in reuses a connection's XML while nothing about it changed; every change
    (telemetry after the lag, log options, lifecycle control, State) must show at once, exactly
    as a rendering from scratch shows it."""
    world = make_world(StandInSettings(modify_seconds=10, down_delay=5, outage_seconds=100,
                                       telemetry_lag=30), rate_limits=None)
    vpns = [world.standin.add_connection(), world.standin.add_connection(pending_seconds=20)]
    ip1, ip2 = world.standin.tunnel_ips(vpns[0])
    query = {"Action": "DescribeVpnConnections", "Version": "2016-11-15",
             **{f"VpnConnectionId.{i}": v for i, v in enumerate(vpns, 1)}}
    seen = set()

    def answer() -> bytes:
        status, body = world.standin.handle(query)
        root = ET.fromstring(body)
        root.find("ec2:requestId", NS).text = "id"  # type: ignore[union-attr]
        assert status == 200
        return ET.tostring(root)

    def check() -> None:
        reused = answer()
        world.standin._fragments.clear()  # nothing to reuse: everything rendered afresh
        assert reused == answer()
        seen.add(reused)

    check()
    _modify(world.ec2, vpns[0], ip1)
    for step in (1, 5, 10, 30, 60, 100):  # DOWN shows 30 s late, UP again after the outage
        world.clock.advance(step)
        check()
    world.standin.set_lifecycle_control(vpns[0], ip2, True)
    check()
    world.standin.delete_connection(vpns[1])
    check()
    world.clock.advance(120)
    check()
    assert len(seen) >= 6  # the steps above did change the answer


def test_renderer_refuses_fields_the_service_model_does_not_have() -> None:
    with pytest.raises(KeyError, match="Bogus"):
        render_response("DescribeVpnConnections", {"VpnConnections": [{"Bogus": "x"}]})
    with pytest.raises(ValueError, match="VpnState"):  # neither in the enum nor observed
        render_response("DescribeVpnConnections",
                        {"VpnConnections": [{"VpnConnectionId": "vpn-1", "State": "exploding"}]})


def test_the_modifying_state_ec2_reports_renders_and_botocore_parses_it() -> None:
    # Not in botocore's VpnState enum, but what EC2 answers during a change (ec2xml's
    # OBSERVED_ENUM_VALUES cites terraform-provider-aws); the real client reads it as sent.
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, _ip2 = world.standin.tunnel_ips(vpn)
    _modify(world.ec2, vpn, ip1)
    [conn] = world.ec2.describe_vpn_connections(VpnConnectionIds=[vpn])["VpnConnections"]
    assert conn["State"] == "modifying"
    world.clock.advance(StandInSettings().modify_seconds)
    [conn] = world.ec2.describe_vpn_connections(VpnConnectionIds=[vpn])["VpnConnections"]
    assert conn["State"] == "available"


def test_timeline_records_changes_and_double_down() -> None:
    world = make_world(StandInSettings(modify_seconds=10, down_delay=0, outage_seconds=100))
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    world.clock.advance(1)
    _modify(world.ec2, vpn, ip1)
    world.clock.advance(20)
    _modify(world.ec2, vpn, ip2)  # the naive way: both down for 80 s
    world.clock.advance(200)
    statuses = [(e.outside_ip, e.status) for e in world.standin.timeline()]
    assert statuses[2:] == [(ip1, DOWN), (ip2, DOWN), (ip1, UP), (ip2, UP)]
    assert world.standin.double_down_seconds(vpn) == pytest.approx(80)


def test_connection_state_pending_then_available_and_deleting_then_deleted() -> None:
    world = make_world()
    vpn = world.standin.add_connection(pending_seconds=60.0)
    ip1, _ = world.standin.tunnel_ips(vpn)

    def state() -> str:
        conn = world.ec2.describe_vpn_connections(VpnConnectionIds=[vpn])["VpnConnections"][0]
        return str(conn["State"])

    def by_filter(value: str) -> list[str]:
        out = world.ec2.describe_vpn_connections(Filters=[{"Name": "state", "Values": [value]}])
        return [c["VpnConnectionId"] for c in out["VpnConnections"]]

    assert state() == "pending" and by_filter("pending") == [vpn] and by_filter("available") == []
    with pytest.raises(ClientError) as err:
        _modify(world.ec2, vpn, ip1)
    assert err.value.response["Error"]["Code"] == "IncorrectState"
    assert "pending" in err.value.response["Error"]["Message"]
    world.clock.advance(60.0)
    assert state() == "available" and by_filter("available") == [vpn]
    _modify(world.ec2, vpn, ip1)

    world.clock.advance(StandInSettings().modify_seconds)
    world.standin.delete_connection(vpn, deleting_seconds=30.0)
    assert state() == "deleting"
    with pytest.raises(ClientError) as err:
        _modify(world.ec2, vpn, ip1)
    assert err.value.response["Error"]["Code"] == "IncorrectState"
    world.clock.advance(30.0)
    assert state() == "deleted"
    assert len(world.standin.modify_calls()) == 1


def test_ec2_request_buckets_answer_request_limit_exceeded_past_the_burst() -> None:
    # AWS "Request throttling for the Amazon EC2 API": non-mutating 100 burst / 20 per s.
    world = make_world()
    ec2 = world.ec2
    outcomes = []
    for _ in range(101):
        try:
            ec2.describe_vpn_connections()
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert outcomes == ["ok"] * 100 + ["RequestLimitExceeded"]
    world.clock.advance(1.0)  # refills 20 tokens
    ec2.describe_vpn_connections()


def test_mutating_bucket_is_separate_and_smaller() -> None:
    # Mutating actions: 50 burst / 5 per s, per action; a different action is unaffected.
    world = make_world()
    vpns = [world.standin.add_connection() for _ in range(51)]
    codes = []
    for vpn in vpns:
        ip1, _ = world.standin.tunnel_ips(vpn)
        try:
            _modify(world.ec2, vpn, ip1)
            codes.append("ok")
        except ClientError as exc:
            codes.append(exc.response["Error"]["Code"])
    assert codes == ["ok"] * 50 + ["RequestLimitExceeded"]
    world.ec2.describe_vpn_connections()  # DescribeVpnConnections has its own bucket


def test_lifecycle_flag_alone_with_skip_replacement_costs_no_outage_but_with_logs_does() -> None:
    world = make_world(StandInSettings(telemetry_lag=0.0))
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    world.ec2.modify_vpn_tunnel_options(
        VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=ip1,
        TunnelOptions={"EnableTunnelLifecycleControl": True}, SkipTunnelReplacement=True)
    world.clock.advance(20)
    assert world.standin.lifecycle_control(vpn, ip1) is True
    assert [e.status for e in world.standin.timeline() if e.outside_ip == ip1] == [UP]
    world.ec2.modify_vpn_tunnel_options(
        VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=ip2,
        TunnelOptions={"EnableTunnelLifecycleControl": True,
                       "LogOptions": {"CloudWatchLogOptions": ENABLED_API}},
        SkipTunnelReplacement=True)
    world.clock.advance(20)
    assert [e.status for e in world.standin.timeline() if e.outside_ip == ip2] == [UP, DOWN]


def test_replacement_status_and_replace_vpn_tunnel_follow_the_service_model() -> None:
    world = make_world()
    vpn = world.standin.add_connection()
    ip1, _ = world.standin.tunnel_ips(vpn)
    before = world.ec2.get_vpn_tunnel_replacement_status(VpnConnectionId=vpn,
                                                         VpnTunnelOutsideIpAddress=ip1)
    assert "PendingMaintenance" not in before["MaintenanceDetails"]
    world.standin.schedule_maintenance(vpn, ip1, auto_applied_after=3600)
    pending = world.ec2.get_vpn_tunnel_replacement_status(
        VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=ip1)["MaintenanceDetails"]
    assert pending["PendingMaintenance"]
    assert pending["MaintenanceAutoAppliedAfter"].timestamp() == world.clock.now() + 3600
    assert world.ec2.replace_vpn_tunnel(VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=ip1,
                                        ApplyPendingMaintenance=True)["Return"] is True
    after = world.ec2.get_vpn_tunnel_replacement_status(
        VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=ip1)["MaintenanceDetails"]
    assert "PendingMaintenance" not in after
    assert after["LastMaintenanceApplied"].timestamp() == world.clock.now()
