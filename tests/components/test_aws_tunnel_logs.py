"""The AWS part of the program: graph assertions, config errors, and the dynamic provider's
real code path (the rollout engine through boto3) against the EC2 stand-in on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import copy
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import dill
import grpc
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from components.aws_tunnel_logs import negotiation_failure_pattern
from components.tunnel_logging import TunnelLoggingProvider
from gatewatch.aws_rollout.clock import RealClock
from gatewatch.config.model import parse_config
from gatewatch.errors import BadInput
from gatewatch.offline.mocks import offline_tunnel_ips
from gatewatch.paths import PROJECT_ROOT as ROOT
from tests.support.aws_rollout import (
    ARN,
    FAKE_CREDENTIALS,
    create_log_group,
    max_both_down_seconds,
    preflight_endpoints,
    subprocess_env,
)
from tests.support.graph import plan
from tests.support.standins.ec2 import Ec2StandIn
from tests.support.standins.ec2_model import StandInSettings

VPN_A, VPN_B = "vpn-0a1b2c3d4e5f60718", "vpn-0fedcba9876543210"
DYNAMIC = "pulumi-python:dynamic:Resource"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
AWS_CONFIG: dict[str, Any] = {
    "gatewatch:aws": {
        "region": "ap-northeast-1",
        "vpnConnections": [VPN_A, VPN_B],
        "logGroup": {"retentionInDays": 90},
        "alarmEmails": ["netops@example.com"],
    }
}


def aws_config(**changes: Any) -> dict[str, Any]:
    config = copy.deepcopy(AWS_CONFIG)
    config["gatewatch:aws"].update(changes)
    return config


def test_log_group_defaults_under_vendedlogs_with_the_configured_retention() -> None:
    group = plan(aws_config()).one(LOG_GROUP, "aws-tunnel-logs-log-group")
    assert group.inputs["name"] == "/aws/vendedlogs/gatewatch/test"
    assert group.inputs["retentionInDays"] == 90
    assert "kmsKeyId" not in group.inputs


def test_one_rollout_resource_per_connection_after_the_log_group() -> None:
    rec = plan(aws_config(), preview=False)
    group = rec.one(LOG_GROUP, "aws-tunnel-logs-log-group")
    component = rec.one("gatewatch:aws:TunnelLogs", "aws-tunnel-logs")
    rollouts = rec.by_type(DYNAMIC)
    assert sorted(r.inputs["vpnConnectionId"] for r in rollouts) == [VPN_A, VPN_B]
    for r in rollouts:
        assert r.parent == component.urn
        assert group.urn in r.dependencies, r.urn
        assert r.property_dependencies["logGroupArn"] == [group.urn]
        assert r.inputs["logEnabled"] is True
        assert r.inputs["region"] == "ap-northeast-1"
        assert r.inputs["timeoutSeconds"] == 15 * 60
        assert r.inputs["__provider"] == "<dynamic provider>"


def test_a_tunnel_state_alarm_per_tunnel_on_vpn_id_and_tunnel_ip() -> None:
    rec = plan(aws_config())
    alarms = {a.name: a for a in rec.by_type(ALARM)}
    for vpn in (VPN_A, VPN_B):
        ips = offline_tunnel_ips(vpn)
        for tunnel in (1, 2):
            alarm = alarms[f"aws-tunnel-logs-{vpn}-tunnel{tunnel}-down"]
            assert alarm.inputs["namespace"] == "AWS/VPN"
            assert alarm.inputs["metricName"] == "TunnelState"
            assert alarm.inputs["dimensions"] == {"VpnId": vpn, "TunnelIpAddress": ips[tunnel - 1]}
            assert alarm.inputs["comparisonOperator"] == "LessThanThreshold"
            assert alarm.inputs["threshold"] == 1
            assert alarm.inputs["treatMissingData"] == "breaching"
            # Longer than a planned tunnel-option change (about 5 minutes).
            assert alarm.inputs["period"] * alarm.inputs["evaluationPeriods"] > 300
    notes = " ".join(c.note for c in rec.calls)
    assert VPN_A in notes and "offline" in notes


def test_negotiation_failures_are_counted_from_the_log_group_and_alarmed() -> None:
    rec = plan(aws_config())
    group = rec.one(LOG_GROUP, "aws-tunnel-logs-log-group")
    metric_filter = rec.one("aws:cloudwatch/logMetricFilter:LogMetricFilter",
                            "aws-tunnel-logs-negotiation-failures")
    assert metric_filter.inputs["pattern"] == negotiation_failure_pattern()
    assert '?"AWS tunnel detected a pre-shared key mismatch with cgw"' in (
        metric_filter.inputs["pattern"])
    assert metric_filter.property_dependencies["logGroupName"] == [group.urn]
    alarm = rec.one(ALARM, "aws-tunnel-logs-negotiation-failures")
    transform = metric_filter.inputs["metricTransformation"]
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == (
        transform["namespace"], transform["name"])
    assert metric_filter.urn in alarm.dependencies


def test_alarms_mail_through_one_topic_in_the_configured_region() -> None:
    rec = plan(aws_config(), preview=False)
    topic = rec.one("aws:sns/topic:Topic", "aws-tunnel-logs-alarms")
    subscription = rec.one("aws:sns/topicSubscription:TopicSubscription",
                           "aws-tunnel-logs-alarms-email-0")
    assert subscription.inputs["protocol"] == "email"
    assert subscription.inputs["endpoint"] == "netops@example.com"
    for alarm in rec.by_type(ALARM):
        assert alarm.property_dependencies["alarmActions"] == [topic.urn], alarm.urn
    provider = rec.one("pulumi:providers:aws", "aws-tunnel-logs-provider")
    assert provider.inputs["region"] == "ap-northeast-1"


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"vpnConnections": ["vpn-123"]}, "gatewatch:aws.vpnConnections[0]",
         "not a VPN connection id"),
        ({"vpnConnections": [VPN_A, VPN_A]}, "gatewatch:aws.vpnConnections[1]", "duplicate"),
        ({"vpnConnections": []}, "gatewatch:aws.vpnConnections", "empty list"),
        ({"region": "tokyo"}, "gatewatch:aws.region", "not an AWS region"),
        ({"logGroup": {"retentionInDays": 45}}, "gatewatch:aws.logGroup.retentionInDays",
         "30, 60"),
        ({"logGroup": {"kmsKeyArn": "alias/aws/logs"}}, "gatewatch:aws.logGroup.kmsKeyArn",
         "not a KMS key ARN"),
        ({"logOutputFormat": "JSON"}, "gatewatch:aws.logOutputFormat", "did you mean 'json'"),
        # AWS accepts text; nothing of the kit reads it (the alarm, the Insights queries,
        # triage and doctor read the JSON fields), so it is refused with the reason
        ({"logOutputFormat": "text"}, "gatewatch:aws.logOutputFormat",
         "text is not read by the kit: the negotiation-failure alarm's metric filter, the "
         "Logs Insights queries, triage and doctor read the JSON log fields; set "
         "logOutputFormat: json"),
        ({"alarmEmails": ["ops"]}, "gatewatch:aws.alarmEmails[0]", "not an email"),
        ({"tunnelUpTimeoutMinutes": 2}, "gatewatch:aws.tunnelUpTimeoutMinutes", "5 to 120"),
        ({"pollSeconds": "often"}, "gatewatch:aws.pollSeconds", "whole number"),
        ({"vpnConnection": [VPN_A]}, "gatewatch:aws.vpnConnection", "vpnConnections"),
        ({"ec2EndpointUrl": "http://ec2.example.com"}, "gatewatch:aws.ec2EndpointUrl",
         "https"),
        ({"bgpLogs": "yes"}, "gatewatch:aws.bgpLogs", "true or false"),
        ({"bgpLogs": False, "bgpLogGroupName": "/aws/vendedlogs/bgp"},
         "gatewatch:aws.bgpLogGroupName", "has no effect with bgpLogs: false"),
        ({"bgpLogGroupName": "bad name!"}, "gatewatch:aws.bgpLogGroupName",
         "not a log group name"),
        ({"tunnelLifecycleControl": 1}, "gatewatch:aws.tunnelLifecycleControl",
         "true or false"),
        ({"maxParallel": 1001}, "gatewatch:aws.maxParallel", "1 to 1000"),
    ],
)
def test_aws_config_errors_name_the_key(changes: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(BadInput) as info:
        parse_config(aws_config(**changes))
    found = {p.path: str(p) for p in info.value.problems}
    assert path in found, found
    assert words in found[path]


# --- the dynamic provider, for real against the stand-in -------------------------------------

# Real clock, so the provider runs exactly as Pulumi runs it: a tunnel drops 0.05 s after the
# call and is back 0.4 s later, telemetry lags 0.1 s, the engine polls every 0.05 s.
FAST = StandInSettings(outage_seconds=0.4, down_delay=0.05, modify_seconds=0.3, telemetry_lag=0.1)
POLL_SECONDS = 0.05


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, moto_url: str) -> Iterator[tuple[Ec2StandIn, str]]:
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    # The provider checks the log group (STS, CloudWatch Logs) before changing a tunnel: moto.
    for key, value in preflight_endpoints(moto_url).items():
        monkeypatch.setenv(key, value)
    create_log_group(moto_url)
    standin = Ec2StandIn(RealClock(), FAST)
    with standin.serve() as url:
        yield standin, url


def props(vpn_id: str, url: str, **changes: Any) -> dict[str, Any]:
    return {"vpnConnectionId": vpn_id, "region": "us-east-1", "logGroupArn": ARN,
            "logOutputFormat": "json", "logEnabled": True, "timeoutSeconds": 20,
            "pollSeconds": POLL_SECONDS, "endpointUrl": url, "tunnels": None, **changes}


def test_provider_create_enables_both_tunnels_one_at_a_time(
        served: tuple[Ec2StandIn, str]) -> None:
    standin, url = served
    vpn_id = standin.add_connection()
    result = TunnelLoggingProvider().create(props(vpn_id, url))
    assert result.id == vpn_id
    assert result.outs is not None
    assert [t["action"] for t in result.outs["tunnels"]] == ["changed", "changed"]
    for tunnel in result.outs["tunnels"]:
        options = standin.log_options(vpn_id, tunnel["outsideIp"])
        assert options["LogEnabled"] is True and options["LogGroupArn"] == ARN
    assert max_both_down_seconds(standin) == 0.0


def test_provider_delete_turns_logging_off_the_same_safe_way(
        served: tuple[Ec2StandIn, str]) -> None:
    standin, url = served
    enabled = {"LogEnabled": True, "LogGroupArn": ARN, "LogOutputFormat": "json"}
    vpn_id = standin.add_connection(enabled)
    TunnelLoggingProvider().delete(vpn_id, props(vpn_id, url))
    described = [t.outside_ip for t in standin._connections[vpn_id].tunnels]
    for ip in described:
        assert standin.log_options(vpn_id, ip)["LogEnabled"] is False
    assert max_both_down_seconds(standin) == 0.0


def test_provider_create_fails_naming_the_tunnel_when_the_other_is_down(
        served: tuple[Ec2StandIn, str]) -> None:
    standin, url = served
    vpn_id = standin.add_connection()
    first_ip = sorted(t.outside_ip for t in standin._connections[vpn_id].tunnels)[0]
    standin._connections[vpn_id].tunnel(first_ip).never_recovers = True  # type: ignore[union-attr]
    with pytest.raises(RuntimeError, match=vpn_id):
        # Four times what a tunnel normally takes to come back, and long enough for an engine
        # that went on to tunnel 2 regardless to get its change accepted (retrying IncorrectState
        # for modify_seconds), which the double-down check below would then catch.
        TunnelLoggingProvider().create(props(vpn_id, url, timeoutSeconds=2))
    assert max_both_down_seconds(standin) == 0.0


def test_provider_diff_replaces_on_identity_and_updates_on_options() -> None:
    provider = TunnelLoggingProvider()
    old = props(VPN_A, "")
    assert not provider.diff(VPN_A, old, dict(old)).changes
    fmt = provider.diff(VPN_A, old, {**old, "logOutputFormat": "text"})
    assert fmt.changes and not fmt.replaces
    moved = provider.diff(VPN_A, old, {**old, "vpnConnectionId": VPN_B})
    assert moved.replaces == ["vpnConnectionId"]


def test_provider_pickles_as_pulumi_does_without_live_clients() -> None:
    encoded = serialize_provider(TunnelLoggingProvider())
    restored = dill.loads(base64.b64decode(encoded))
    assert isinstance(restored, TunnelLoggingProvider)
    assert vars(restored) == {}


def test_the_dynamic_provider_host_creates_and_deletes_the_recorded_resource(
        served: tuple[Ec2StandIn, str]) -> None:
    """The program's own registration, sent to Pulumi's dynamic provider host in a separate
    process (`python -m pulumi.dynamic`, as the engine starts it) over gRPC: the host
    unpickles the provider with dill and runs the engine against the stand-in."""
    standin, url = served
    vpn_id = standin.add_connection()
    recorded = plan(aws_config(vpnConnections=[vpn_id], region="us-east-1",
                               ec2EndpointUrl=url), preview=False).by_type(DYNAMIC)[0]
    assert recorded.inputs["endpointUrl"] == url
    # The stack creates its log group before this resource (a dependency); here, moto has it.
    create_log_group(os.environ["AWS_ENDPOINT_URL_STS"], recorded.inputs["logGroupArn"])
    props = {**recorded.inputs, "__provider": serialize_provider(TunnelLoggingProvider()),
             # Seconds of the stand-in's short outage, not the stack's minutes.
             "pollSeconds": POLL_SECONDS, "timeoutSeconds": 20}
    properties = asyncio.new_event_loop().run_until_complete(
        rpc.serialize_properties(props, {}))
    host = subprocess.Popen([sys.executable, "-m", "pulumi.dynamic"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=subprocess_env(os.environ["AWS_ENDPOINT_URL_STS"]))
    try:
        assert host.stdout is not None
        port = int(host.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            created = stub.Create(provider_pb2.CreateRequest(
                urn=recorded.urn, properties=properties), timeout=60)
            assert created.id == vpn_id
            outs = rpc.deserialize_properties(created.properties)
            assert [t["action"] for t in outs["tunnels"]] == ["changed", "changed"]
            for tunnel in outs["tunnels"]:
                logged = standin.log_options(vpn_id, tunnel["outsideIp"])
                assert logged["LogEnabled"] is True
                assert logged["LogGroupArn"] == recorded.inputs["logGroupArn"]
            stub.Delete(provider_pb2.DeleteRequest(
                id=vpn_id, urn=recorded.urn, properties=created.properties), timeout=60)
            for tunnel in outs["tunnels"]:
                assert standin.log_options(vpn_id, tunnel["outsideIp"])["LogEnabled"] is False
    finally:
        host.kill()
        host.wait(timeout=10)
    assert max_both_down_seconds(standin) == 0.0


def test_max_parallel_bounds_how_many_connections_change_at_once() -> None:
    vpns = [f"vpn-0000000000000000{i}" for i in range(5)]
    rec = plan(aws_config(vpnConnections=vpns, maxParallel=2))
    by_vpn = {r.inputs["vpnConnectionId"]: r for r in rec.by_type(DYNAMIC)}
    for i, vpn in enumerate(vpns):
        waits = {by_vpn[v].urn for v in vpns} & set(by_vpn[vpn].dependencies)
        expected = {by_vpn[vpns[i - 2]].urn} if i >= 2 else set()
        assert waits == expected, vpn


def test_provider_create_refuses_a_log_group_of_another_account_before_any_change(
        served: tuple[Ec2StandIn, str]) -> None:
    standin, url = served
    vpn_id = standin.add_connection()
    other = ARN.replace("123456789012", "999999999999")
    with pytest.raises(RuntimeError, match="logGroupArn is in account 999999999999"):
        TunnelLoggingProvider().create(props(vpn_id, url, logGroupArn=other))
    assert standin.modify_calls() == []


def test_provider_of_another_account_checks_and_changes_under_the_assumed_role(
        served: tuple[Ec2StandIn, str], moto_url: str) -> None:
    """The log group exists only in the role's account (moto keeps accounts apart): the
    preflight passes only on the assumed role's session; without roleArn it is refused."""
    import boto3

    from gatewatch.aws.sessions import session_for

    standin, url = served
    role = "arn:aws:iam::210987654321:role/gatewatch-deploy"
    other = "arn:aws:logs:us-east-1:210987654321:log-group:/aws/vendedlogs/gatewatch/other"
    session_for("us-east-1", role, boto3.Session(region_name="us-east-1")).client(
        "logs", endpoint_url=moto_url).create_log_group(
            logGroupName="/aws/vendedlogs/gatewatch/other")
    vpn_id = standin.add_connection()
    with pytest.raises(RuntimeError, match="no tunnel was changed"):
        TunnelLoggingProvider().create(props(vpn_id, url, logGroupArn=other))
    result = TunnelLoggingProvider().create(props(vpn_id, url, logGroupArn=other, roleArn=role))
    assert result.outs is not None
    assert [t["action"] for t in result.outs["tunnels"]] == ["changed", "changed"]
    assert max_both_down_seconds(standin) == 0.0
    assert TunnelLoggingProvider().diff(vpn_id, props(vpn_id, url),
                                        props(vpn_id, url, roleArn=role)).replaces == ["roleArn"]
