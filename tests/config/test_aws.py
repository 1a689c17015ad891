"""gatewatch:aws: defaults, and each bad key as one line in the kit's format."""

from __future__ import annotations

from typing import Any

import pytest

from gatewatch.config.model import parse_config
from tests.support.stacks import aws, problem_lines


def test_aws_defaults_bgp_logs_and_lifecycle_control_on_parallel_by_throttle() -> None:
    cfg = parse_config(aws()).aws
    assert cfg is not None
    assert (cfg.bgp_logs, cfg.bgp_log_group_name, cfg.tunnel_lifecycle_control,
            cfg.max_parallel) == (True, None, True, None)
    cfg = parse_config(aws(bgpLogs=False, tunnelLifecycleControl=False, maxParallel=1000,
                           )).aws
    assert cfg is not None
    assert (cfg.bgp_logs, cfg.tunnel_lifecycle_control, cfg.max_parallel) == (False, False, 1000)
    cfg = parse_config(aws(bgpLogGroupName="/aws/vendedlogs/gatewatch/vpn-bgp")).aws
    assert cfg is not None and cfg.bgp_log_group_name == "/aws/vendedlogs/gatewatch/vpn-bgp"


@pytest.mark.parametrize(("keys", "line"), [
    ({"bgpLogs": "yes"},
     "gatewatch:aws.bgpLogs: expected true or false, got a string 'yes'; set gatewatch:aws.bgpLogs "
     "to true or false"),
    ({"bgpLogs": False, "bgpLogGroupName": "/aws/vendedlogs/bgp"},
     "gatewatch:aws.bgpLogGroupName: has no effect with bgpLogs: false; drop bgpLogGroupName, "
     "or set bgpLogs: true"),
    ({"bgpLogGroupName": "bad name!"},
     "gatewatch:aws.bgpLogGroupName: 'bad name!' is not a log group name; use letters, digits "
     "and . - _ / #, e.g. /aws/vendedlogs/gatewatch/vpn-bgp"),
    ({"tunnelLifecycleControl": 1},
     "gatewatch:aws.tunnelLifecycleControl: expected true or false, got a number 1; set "
     "gatewatch:aws.tunnelLifecycleControl to true or false"),
    ({"maxParallel": 1001},
     "gatewatch:aws.maxParallel: 1001 is out of range; use a value from 1 to 1000"),
    ({"maxParallel": 0},
     "gatewatch:aws.maxParallel: 0 is out of range; use a value from 1 to 1000"),
])
def test_bad_aws_keys_are_one_line_each(keys: dict[str, Any], line: str) -> None:
    assert problem_lines(aws(**keys)) == [line]


def test_plan_and_triage_exit_2_on_the_text_log_format(tmp_path: Any) -> None:
    """AWS accepts logOutputFormat text, but the alarm's filter, the Insights queries, triage
    and doctor read the JSON fields: refused before anything runs, in one line."""
    from tests.offline.test_plan_cli import run_cli, write_stack

    stack = str(write_stack(tmp_path, aws(logOutputFormat="text")))
    for argv in (("plan", "--config-file", stack),
                 ("triage", "--config-file", stack, "--remote-ip", "198.51.100.2",
                  "--since", "2h")):
        result = run_cli(*argv)
        assert result.returncode == 2, argv
        assert result.stderr.splitlines() == [
            "error: gatewatch:aws.logOutputFormat: text is not read by the kit: the "
            "negotiation-failure alarm's metric filter, the Logs Insights queries, triage and "
            "doctor read the JSON log fields; set logOutputFormat: json (the default)"], argv
        assert result.stdout == ""


# --- regions and accounts ------------------------------------------------------------------

VPN_1, VPN_2, VPN_3 = "vpn-0123456789abcdef1", "vpn-0123456789abcdef2", "vpn-0123456789abcdef3"
ROLE = "arn:aws:iam::210987654321:role/gatewatch-deploy"


def test_regions_and_accounts_are_scopes_the_single_region_form_first() -> None:
    cfg = parse_config(aws(
        regions={"us-west-2": {"vpnConnections": [VPN_1],
                               "ec2EndpointUrl": "https://vpce-1.ec2.us-west-2.vpce.amazonaws.com"}},
        accounts=[{"roleArn": ROLE, "regions": {"us-east-1": {"vpnConnections": [VPN_2, VPN_3]}}}],
    )).aws
    assert cfg is not None
    scopes = cfg.scopes()
    assert [(s.label, s.vpn_connections, s.role_arn, s.primary) for s in scopes] == [
        ("ap-northeast-1", ("vpn-0123456789abcdef0",), None, True),
        ("us-west-2", (VPN_1,), None, False),
        ("210987654321/us-east-1", (VPN_2, VPN_3), ROLE, False)]
    assert [s.suffix for s in scopes] == ["", "-us-west-2", "-210987654321-us-east-1"]
    assert scopes[1].ec2_endpoint_url == "https://vpce-1.ec2.us-west-2.vpce.amazonaws.com"
    assert cfg.all_connections == ("vpn-0123456789abcdef0", VPN_1, VPN_2, VPN_3)
    scope = cfg.scope_of(VPN_3)
    assert scope is not None and scope.account == "210987654321"


def test_regions_alone_without_the_single_region_form() -> None:
    cfg = parse_config({"gatewatch:aws": {"regions": {"eu-west-1": {"vpnConnections": [VPN_1]},
                                                       "us-west-2": {"vpnConnections": [VPN_2]}}}}
                       ).aws
    assert cfg is not None and [s.label for s in cfg.scopes()] == ["eu-west-1", "us-west-2"]
    assert not any(s.primary for s in cfg.scopes())


@pytest.mark.parametrize(("keys", "line"), [
    ({"vpnConnections": None},
     "gatewatch:aws.vpnConnections: missing; list the connections of ap-northeast-1 under "
     "vpnConnections, or drop region and list them under regions"),
    ({"region": None},
     "gatewatch:aws.region: missing; set region to the region of vpnConnections"),
    ({"region": None, "vpnConnections": None},
     "gatewatch:aws.region: missing; set region and vpnConnections, or list connections by "
     "region under regions: {us-east-1: {vpnConnections: [vpn-...]}}"),
    ({"regions": {"ap-northeast-1": {"vpnConnections": [VPN_1]}}},
     "gatewatch:aws.regions.ap-northeast-1: is gatewatch:aws.region again; list its "
     "connections once, under vpnConnections"),
    ({"regions": {"tokyo": {"vpnConnections": [VPN_1]}}},
     "gatewatch:aws.regions.tokyo: 'tokyo' is not an AWS region; use a region code like "
     "ap-northeast-1"),
    ({"regions": {}}, "gatewatch:aws.regions: is empty; fill in gatewatch:aws.regions or "
                      "remove it"),
    ({"regions": {"us-west-2": {"vpnConnections": []}}},
     "gatewatch:aws.regions.us-west-2.vpnConnections: is an empty list; list at least one "
     "entry"),
    ({"regions": ["us-west-2"]},
     "gatewatch:aws.regions: expected a mapping, got a list; write it as a mapping of key: "
     "value pairs"),
    ({"regions": {"us-west-2": {"vpnConnections": ["vpn-0123456789abcdef0"]}}},
     "gatewatch:aws.regions.us-west-2.vpnConnections[0]: duplicate of "
     "gatewatch:aws.vpnConnections[0]; list each connection once (a connection is in one "
     "region of one account)"),
    ({"accounts": [{"roleArn": "arn:aws:iam::2109876543:role/x",
                    "regions": {"us-east-1": {"vpnConnections": [VPN_1]}}}]},
     "gatewatch:aws.accounts[0].roleArn: 'arn:aws:iam::2109876543:role/x' is not an IAM role "
     "ARN; use arn:aws:iam::<account>:role/<name>, e.g. "
     "arn:aws:iam::210987654321:role/gatewatch-deploy"),
    ({"accounts": [{"roleArn": ROLE}]},
     "gatewatch:aws.accounts[0].regions: missing; set gatewatch:aws.accounts[0].regions"),
    ({"accounts": [{"roleArn": ROLE, "regions": {"us-east-1": {"vpnConnections": [VPN_1]}}},
                   {"roleArn": ROLE + "-2", "regions": {"us-east-2": {"vpnConnections": [VPN_2]}}}
                   ]},
     "gatewatch:aws.accounts[1].roleArn: duplicate of gatewatch:aws.accounts[0].roleArn; list "
     "each account once (one entry per account, with all its regions)"),
    ({"region": None, "vpnConnections": None, "ec2EndpointUrl": "https://ec2.example.com",
      "regions": {"us-west-2": {"vpnConnections": [VPN_1]}}},
     "gatewatch:aws.ec2EndpointUrl: has no effect without region (it is the endpoint of "
     "region's connections); set it per region: regions.<region>.ec2EndpointUrl"),
    ({"logGroup": {"kmsKeyArn": "arn:aws:kms:ap-northeast-1:123456789012:key/"
                                "12345678-1234-1234-1234-123456789012"},
      "regions": {"us-west-2": {"vpnConnections": [VPN_1]}}},
     "gatewatch:aws.logGroup.kmsKeyArn: is a key in ap-northeast-1 of the deploying account, "
     "but the connections of us-west-2 log elsewhere (a log group uses a key of its own "
     "account and region); drop kmsKeyArn, or keep the connections in that key's region"),
])
def test_bad_region_and_account_shapes_are_one_line_each(keys: dict[str, Any], line: str
                                                         ) -> None:
    raw = aws(**keys)
    section = {k: v for k, v in raw["gatewatch:aws"].items() if v is not None}
    assert problem_lines({"gatewatch:aws": section}) == [line]
