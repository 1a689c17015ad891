"""doctor on AWS: log groups, tunnel log options and events, lifecycle control, alarms and
the AWS Health rule (components/aws_tunnel_logs.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.doctor import checks_of, line, run_doctor
from tests.support.live_world import STACK, VPN, World
from tests.support.second_region import VPN_W, WEST, second_region


def test_aws_stale_tunnel_events(estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    ip2 = w.tunnel_ips()[1]
    # a second stream for tunnel 2 would hide the old one; rebuild its only stream old
    logs = w.boto("logs")
    logs.delete_log_stream(logGroupName=w.log_group, logStreamName=f"{VPN}-{ip2}")
    w.put_tunnel_events(ip2, [(w.now - dt.timedelta(hours=2), {"details": "DPD"})])
    code, report, _ = run_doctor(w, capsys)
    assert code == 1
    assert line(report, "tunnel log events", f"t1 {w.tunnel_ips()[0]}")["status"] == "OK"
    stale = line(report, "tunnel log events", f"t2 {ip2}")
    assert (stale["status"] == "STALE" and "120 min ago" in stale["detail"]) or \
        "2 h ago" in stale["detail"]


def test_a_stream_whose_ip_extends_the_tunnels_does_not_make_it_fresh(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    """Tunnel 2 has logged nothing for two hours; a fresh stream of another tunnel whose outside
    IP merely starts like tunnel 2's (`...-1.2.3.45` for `1.2.3.4`) must not count as its."""
    w = estate.healthy()
    ip2 = w.tunnel_ips()[1]
    logs = w.boto("logs")
    logs.delete_log_stream(logGroupName=w.log_group, logStreamName=f"{VPN}-{ip2}")
    w.put_tunnel_events(ip2, [(w.now - dt.timedelta(hours=2), {"details": "DPD"})])
    w.put_tunnel_events(ip2, [(w.now - dt.timedelta(minutes=1), {"details": "DPD"})],
                        stream=f"{VPN}-{ip2}5")
    code, report, _ = run_doctor(w, capsys)
    assert code == 1
    stale = line(report, "tunnel log events", f"t2 {ip2}")
    assert stale["status"] == "STALE", stale


def test_aws_missing_logging_events_and_alarm(estate: World,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    ip2 = w.tunnel_ips()[1]
    w.ec2._tunnel(VPN, ip2).log_options = {"LogEnabled": False}
    w.boto("logs").delete_log_stream(logGroupName=w.log_group, logStreamName=f"{VPN}-{ip2}")
    w.boto("cloudwatch").delete_alarms(AlarmNames=[f"gatewatch-{VPN}-tunnel2-down"])
    code, report, _ = run_doctor(w, capsys)
    assert code == 1
    assert line(report, "tunnel log options", f"t2 {ip2}")["status"] == "MISSING"
    assert line(report, "tunnel log options", "t1 ")["status"] == "OK"
    events = line(report, "tunnel log events", f"t2 {ip2}")
    assert (events["status"], events["detail"]) == ("MISSING", "never")
    assert line(report, "alarm", "tunnel2-down")["status"] == "MISSING"
    assert line(report, "alarm", "tunnel1-down")["status"] == "OK"


def test_aws_tunnel_without_bgp_logs_or_lifecycle_control_is_wrong(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    ip1, ip2 = w.tunnel_ips()
    w.ec2._tunnel(VPN, ip1).log_options["BgpLogEnabled"] = False  # tunnel logs only
    w.ec2.set_lifecycle_control(VPN, ip2, False)
    code, report, _ = run_doctor(w, capsys)
    assert code == 1
    bgp = line(report, "tunnel log options", f"t1 {ip1}")
    assert bgp["status"] == "WRONG" and "BgpLogEnabled is False, want True" in bgp["detail"]
    assert line(report, "tunnel log options", f"t2 {ip2}")["status"] == "OK"
    lifecycle = line(report, "tunnel lifecycle control", f"t2 {ip2}")
    assert lifecycle["status"] == "WRONG" and "SkipTunnelReplacement" in lifecycle["fix"]
    assert line(report, "tunnel lifecycle control", f"t1 {ip1}")["status"] == "OK"


def test_aws_wrong_format_and_missing_log_group(estate: World,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    ip1 = w.tunnel_ips()[0]
    w.ec2._tunnel(VPN, ip1).log_options["LogOutputFormat"] = "text"
    code, report, _ = run_doctor(w, capsys)
    assert code == 1
    wrong = line(report, "tunnel log options", f"t1 {ip1}")
    assert wrong["status"] == "WRONG" and "LogOutputFormat is 'text'" in wrong["detail"]
    w.boto("logs").delete_log_group(logGroupName=w.log_group)
    code, report, err = run_doctor(w, capsys)
    assert report, err
    assert line(report, "log group")["status"] == "MISSING"


def test_aws_health_rule_ok_missing_disabled_and_wrong_target(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    rule = f"gatewatch-vpn-maintenance-{STACK}"
    code, report, _ = run_doctor(w, capsys)
    assert code == 0
    ok = line(report, "AWS Health rule", rule)
    assert (ok["status"], ok["detail"]) == (
        "OK", f"VPN scheduled changes to gatewatch-vpn-alarms-{STACK}")
    events = w.boto("events")
    other = w.boto("sns").create_topic(Name="someone-elses-topic")["TopicArn"]
    events.put_targets(Rule=rule, Targets=[{"Id": "alarms", "Arn": other}])
    code, report, _ = run_doctor(w, capsys)
    target = line(report, "AWS Health rule", rule)
    assert code == 1 and target["status"] == "WRONG"
    assert target["detail"] == f"does not target SNS topic gatewatch-vpn-alarms-{STACK}"
    events.disable_rule(Name=rule)
    code, report, _ = run_doctor(w, capsys)
    state = line(report, "AWS Health rule", rule)
    assert (state["status"], state["detail"]) == ("WRONG", "state DISABLED")
    events.put_rule(Name=rule, EventPattern='{"source": ["aws.ec2"]}', State="ENABLED")
    code, report, _ = run_doctor(w, capsys)
    assert "event pattern" in line(report, "AWS Health rule", rule)["detail"]
    events.remove_targets(Rule=rule, Ids=["alarms"])
    events.delete_rule(Name=rule)
    code, report, _ = run_doctor(w, capsys)
    missing = line(report, "AWS Health rule", rule)
    assert code == 1 and missing["status"] == "MISSING" and "pulumi up" in missing["fix"]


BGP_GROUP = "/aws/vendedlogs/gatewatch/live-bgp"


def with_bgp_log_group(w: World) -> World:
    """The stack sends BGP logs to their own group (gatewatch:aws.bgpLogGroupName) and the
    tunnels log BGP there, as the rollout leaves them."""
    w.config_file.write_text(w.config_file.read_text().replace(
        "    vpnConnections:\n", f"    bgpLogGroupName: {BGP_GROUP}\n    vpnConnections:\n"),
        encoding="utf-8")
    arn = w.log_group_arn.replace(w.log_group, BGP_GROUP)
    for ip in w.tunnel_ips():
        w.ec2._tunnel(VPN, ip).log_options["BgpLogGroupArn"] = arn
    return w


def test_aws_separate_bgp_log_group_ok_and_missing(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = with_bgp_log_group(estate.healthy())
    code, report, _ = run_doctor(w, capsys)
    assert code == 1
    missing = line(report, "BGP log group", BGP_GROUP)
    assert missing["status"] == "MISSING" and "pulumi up" in missing["fix"]
    # the tunnels name the right (absent) group: their options are not blamed for it
    assert line(report, "tunnel log options", "t1 ")["status"] == "OK"
    w.boto("logs").create_log_group(logGroupName=BGP_GROUP)
    code, report, _ = run_doctor(w, capsys)
    assert code == 0, report
    assert line(report, "BGP log group", BGP_GROUP)["status"] == "OK"
    assert line(report, "tunnel log options", "t1 ")["status"] == "OK"
    # checked on its own: a lost tunnel-log group does not hide it
    w.boto("logs").delete_log_group(logGroupName=w.log_group)
    code, report, _ = run_doctor(w, capsys)
    assert line(report, "log group")["status"] == "MISSING"
    assert line(report, "BGP log group", BGP_GROUP)["status"] == "OK"


def test_aws_a_second_region_is_checked_with_its_own_reader(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    with second_region(w) as west:
        code, report, err = run_doctor(w, capsys)
        assert code == 0, (err, [c for c in checks_of(report) if c["status"] != "OK"])
        mine = [c for c in checks_of(report) if c["cloud"] == f"aws {WEST}"]
        ip1, ip2 = west.tunnel_ips()
        assert {(c["check"], c["target"]) for c in mine} >= {
            ("log group", w.log_group),
            ("tunnel log options", f"{VPN_W} t1 {ip1}"),
            ("tunnel log events", f"{VPN_W} t2 {ip2}"),
            ("alarm", f"gatewatch-{VPN_W}-tunnel2-down"),
            ("AWS Health rule", f"gatewatch-vpn-maintenance-{STACK}")}
        assert not any(VPN_W in c["target"] for c in checks_of(report) if c["cloud"] == "aws")
        # the second region's alarm gone: its line says where, the first region's stay OK
        west.boto("cloudwatch").delete_alarms(AlarmNames=[f"gatewatch-{VPN_W}-tunnel2-down"])
        code, report, _ = run_doctor(w, capsys)
        assert code == 1
        [missing] = [c for c in checks_of(report) if c["status"] != "OK"]
        assert (missing["cloud"], missing["target"], missing["status"], missing["detail"]) == (
            f"aws {WEST}", f"gatewatch-{VPN_W}-tunnel2-down", "MISSING",
            f"not found in {WEST}")
