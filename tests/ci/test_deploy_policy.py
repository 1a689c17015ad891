"""docs/aws-deploy-policy.json, the IAM policy of the deploy identity: it allows what the kit's
AWS resources and the rollout's AWS calls (gatewatch/aws_rollout/: EC2, and the log group check
on STS and CloudWatch Logs) need, scoped where AWS can."""

from __future__ import annotations

import ast
import copy
import fnmatch
import json
import re
from typing import Any

import pytest

from gatewatch.paths import PROJECT_ROOT as ROOT
from tests.support.ci import AWS_POLICY

ROLLOUT_MODULES = sorted((ROOT / "gatewatch" / "aws_rollout").glob("*.py"))


# Actions AWS cannot scope to a resource (or, for the vended-logs set, documents with "*" in
# "IAM requirements to publish to CloudWatch Logs" of the Site-to-Site VPN logs guide).
UNSCOPABLE = {
    "ec2:DescribeVpnConnections",
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery", "logs:ListLogDeliveries",
    "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    # Logs Insights query definitions have no resource-level permissions.
    "logs:PutQueryDefinition", "logs:DeleteQueryDefinition", "logs:DescribeQueryDefinitions",
}
# What the Pulumi resources of components/aws_tunnel_logs.py need beyond the engine's calls.
AWS_DEPLOY_ACTIONS = {
    *UNSCOPABLE,
    "logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteLogGroup", "logs:TagResource",
    "logs:PutMetricFilter", "logs:DeleteMetricFilter", "logs:DescribeMetricFilters",
    "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms",
    "cloudwatch:TagResource", "cloudwatch:ListTagsForResource",
    "sns:CreateTopic", "sns:DeleteTopic", "sns:Subscribe", "sns:Unsubscribe",
    "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:TagResource",
    "cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards",
    "events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:PutTargets",
    "events:RemoveTargets", "events:ListTargetsByRule", "events:TagResource",
}


def _rollout_sources() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in ROLLOUT_MODULES]


# Calls that need no IAM permission: "No permissions are required to perform this operation"
# (GetCallerIdentity, AWS STS API reference).
NO_PERMISSION = {"sts:GetCallerIdentity"}


def engine_api_calls(*sources: str) -> set[str]:
    """IAM actions of the boto3 calls the rollout makes, named through botocore's own
    method-to-operation mapping: EC2 through the run's client (`<...>.client.<method>(...)`),
    and any other service through a variable bound to `<...>.client("service", ...)`
    (`sts.get_caller_identity()`, `logs.get_paginator("describe_log_groups")`)."""
    import boto3

    trees = [ast.parse(source) for source in sources]
    nodes = [node for tree in trees for node in ast.walk(tree)]
    services = {node.args[0].value for node in nodes
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "client" and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "boto3" and node.args
                and isinstance(node.args[0], ast.Constant)}
    assert services <= {"ec2", "logs"}, f"the engine builds {services} clients: extend this test"
    methods = {node.func.attr for node in nodes
               if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
               and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "client"}
    mapping = boto3.client("ec2", region_name="us-east-1").meta.method_to_api_mapping
    unknown = methods - set(mapping)
    assert not unknown, f"not EC2 client methods: {sorted(unknown)}"
    actions = {f"ec2:{mapping[m]}" for m in methods}
    # The rollout journal's CloudWatch Logs client (journal.py): `<...>.logs.<method>(...)`.
    logs_methods = {node.func.attr for node in nodes
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Attribute)
                    and node.func.value.attr == "logs"}
    logs_mapping = boto3.client("logs", region_name="us-east-1").meta.method_to_api_mapping
    assert logs_methods <= set(logs_mapping), f"not logs methods: {logs_methods}"
    actions |= {f"logs:{logs_mapping[m]}" for m in logs_methods}
    for tree in trees:
        actions |= _bound_client_calls(tree)
    return actions


def _bound_client_calls(tree: ast.AST) -> set[str]:
    import boto3

    bound: dict[str, str] = {}  # variable -> service of the client assigned to it
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "client" and node.value.args
                and isinstance(node.value.args[0], ast.Constant)):
            bound[node.targets[0].id] = node.value.args[0].value
    actions: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id in bound):
            continue
        service = bound[node.func.value.id]
        method = node.func.attr
        if method == "get_paginator":
            assert node.args and isinstance(node.args[0], ast.Constant)
            method = node.args[0].value
        mapping = boto3.client(service, region_name="us-east-1").meta.method_to_api_mapping
        assert method in mapping, f"not a {service} client method: {method}"
        actions.add(f"{service}:{mapping[method]}")
    return actions


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def aws_policy_problems(policy: Any, needed: set[str]) -> list[str]:
    """Every needed action allowed; nothing on "*" that AWS lets us scope; no NotAction/Deny
    tricks; ModifyVpnTunnelOptions only on vpn-connection ARNs."""
    out = []
    if policy.get("Version") != "2012-10-17":
        out.append("Version must be 2012-10-17")
    allowed: dict[str, list[str]] = {}
    for i, st in enumerate(policy.get("Statement", [])):
        if st.get("Effect") != "Allow" or "Action" not in st or "Resource" not in st:
            out.append(f"statement {i}: Allow with Action and Resource only")
            continue
        for action in _listed(st["Action"]):
            if "*" in action:
                out.append(f"statement {i}: wildcard action {action}")
            allowed.setdefault(action.lower(), []).extend(_listed(st["Resource"]))
            if "*" in _listed(st["Resource"]) and action not in UNSCOPABLE:
                out.append(f"statement {i}: {action} on Resource '*' (scope it)")
    for action in sorted(needed):
        if action.lower() not in allowed:
            out.append(f"not allowed: {action}")
    modify = allowed.get("ec2:modifyvpntunneloptions", [])
    if modify and not all(fnmatch.fnmatch(r, "arn:aws:ec2:*:*:vpn-connection/*") for r in modify):
        out.append(f"ec2:ModifyVpnTunnelOptions must be scoped to vpn-connection ARNs: {modify}")
    return out


@pytest.fixture(scope="module")
def aws_policy() -> Any:
    return json.loads(AWS_POLICY.read_text(encoding="utf-8"))  # fails on invalid JSON


def test_the_engine_calls_are_found() -> None:
    calls = engine_api_calls(*_rollout_sources())
    assert {"ec2:DescribeVpnConnections", "ec2:ModifyVpnTunnelOptions"} <= calls
    # The log group check before any change (preflight.py).
    assert {"sts:GetCallerIdentity", "logs:DescribeLogGroups"} <= calls
    # The rollout journal (journal.py): its stream, its records written and read.
    assert {"logs:CreateLogStream", "logs:PutLogEvents", "logs:GetLogEvents"} <= calls
    bound = engine_api_calls("s = session.client('logs', region_name='x')\n"
                             "s.get_paginator('describe_log_groups')\n"
                             "s.create_log_group(logGroupName='g')\n")
    assert bound == {"logs:DescribeLogGroups", "logs:CreateLogGroup"}
    # A new call in the engine shows up here, and then in the policy check below.
    extra = engine_api_calls("import boto3\nc = boto3.client('ec2')\n"
                             "run.client.create_tags(Resources=[])\n")
    assert extra == {"ec2:CreateTags"}


def test_the_aws_deploy_policy_covers_the_kit(aws_policy: Any) -> None:
    needed = AWS_DEPLOY_ACTIONS | engine_api_calls(*_rollout_sources()) - NO_PERMISSION
    assert aws_policy_problems(aws_policy, needed) == []
    text = AWS_POLICY.read_text(encoding="utf-8")
    # Names the kit gives its AWS resources (components/aws_tunnel_logs.py).
    for fragment in ("log-group:/aws/vendedlogs/gatewatch/*", "alarm:gatewatch-*",
                     ":gatewatch-vpn-alarms-*",
                     "log-group:/aws/vendedlogs/gatewatch/*:log-stream:gatewatch-rollout-journal"):
        assert fragment in text
    assert set(re.findall(r"arn:aws:[a-z0-9]+:\*:([A-Z_0-9]+):", text)) == {"ACCOUNT_ID"}


@pytest.mark.parametrize("case,expected", [
    ("drop modify", "not allowed: ec2:ModifyVpnTunnelOptions"),
    ("engine calls more", "not allowed: ec2:CreateTags"),
    ("modify on *", "ec2:ModifyVpnTunnelOptions on Resource '*'"),
    ("drop log delivery", "not allowed: logs:CreateLogDelivery"),
    ("wildcard", "wildcard action sns:*"),
])
def test_the_policy_check_catches_its_mistakes(aws_policy: Any, case: str, expected: str) -> None:
    policy = copy.deepcopy(aws_policy)
    needed = AWS_DEPLOY_ACTIONS | engine_api_calls(*_rollout_sources()) - NO_PERMISSION
    statements = {st["Sid"]: st for st in policy["Statement"]}
    if case == "drop modify":
        policy["Statement"].remove(statements["ChangeTunnelLogOptions"])
    elif case == "engine calls more":
        needed.add("ec2:CreateTags")
    elif case == "modify on *":
        statements["ChangeTunnelLogOptions"]["Resource"] = "*"
    elif case == "drop log delivery":
        statements["S2SVPNLogging"]["Action"].remove("logs:CreateLogDelivery")
    elif case == "wildcard":
        statements["GatewatchAlarmTopic"]["Action"] = ["sns:*"]
    problems = aws_policy_problems(policy, needed)
    assert any(expected in p for p in problems), problems
