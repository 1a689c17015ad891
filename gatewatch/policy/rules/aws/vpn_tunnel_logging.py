"""aws-vpn-tunnel-logging (mandatory): both tunnels of every Site-to-Site VPN connection log
to CloudWatch Logs, in the tunnel options or through the kit's rollout resource, to a log
group in the connection's own region (a tunnel cannot log to another region's group: "AWS
Site-to-Site VPN logs", https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from gatewatch.aws import facts as aws_facts
from gatewatch.checks.model import Finding, Resource, Rule, value_at
from gatewatch.policy.rules.reading import label

RULE_ID: Final = "aws-vpn-tunnel-logging"


def _tunnel_logged(connection: Resource, tunnel: int) -> bool:
    return value_at(connection.inputs, f"tunnel{tunnel}LogOptions", "cloudwatchLogOptions",
                    "logEnabled") is True


def rollout_covers(rollout: Resource, connection: Resource) -> bool:
    if value_at(rollout.inputs, "logEnabled") is not True:
        return False
    if connection.urn in rollout.depends_through("vpnConnectionId"):
        return True
    target, connection_id = rollout.inputs.get("vpnConnectionId"), connection.known_id
    return isinstance(target, str) and connection_id is not None and target == connection_id


def rollout_resources(resources: Sequence[Resource]) -> list[Resource]:
    """The kit's tunnel-logs rollout resources (dynamic resources with a vpnConnectionId)."""
    return [r for r in resources if r.type.startswith(aws_facts.DYNAMIC_TYPE_PREFIX)
            and ("vpnConnectionId" in r.inputs or r.depends_through("vpnConnectionId"))]


def _group_region(group: Resource, by_urn: Mapping[str, Resource]) -> str | None:
    """A log group's region: its own `region` input (pulumi-aws 7), its provider's, or its
    ARN's (a stack export's outputs)."""
    for value in (group.inputs.get("region"),
                  by_urn[group.provider].inputs.get("region") if group.provider in by_urn
                  else None):
        if isinstance(value, str):
            return value
    match = aws_facts.AWS_LOG_GROUP_ARN_RE.fullmatch(str(group.inputs.get("arn") or ""))
    return match["region"] if match else None


def misplaced_log_groups(resources: Sequence[Resource]) -> list[Finding]:
    """Rollout resources whose tunnel or BGP log group is in another region than the
    connection (the rollout's `region`)."""
    by_urn = {r.urn: r for r in resources}
    findings = []
    for rollout in rollout_resources(resources):
        region = rollout.inputs.get("region")
        if not isinstance(region, str):
            continue
        for key, what in (("logGroupArn", "tunnel"), ("bgpLogGroupArn", "BGP")):
            # The group in the graph first (its provider says where it is created); a literal
            # ARN only when the value comes from no group of the graph.
            places = [(label(by_urn[urn]), _group_region(by_urn[urn], by_urn))
                      for urn in rollout.depends_through(key)
                      if urn in by_urn and by_urn[urn].type == aws_facts.AWS_LOG_GROUP_TYPE]
            value = rollout.inputs.get(key)
            match = aws_facts.AWS_LOG_GROUP_ARN_RE.fullmatch(value) \
                if isinstance(value, str) and not places else None
            if match:
                places = [(str(value), match["region"])]
            for group, group_region in places:
                if group_region is not None and group_region != region:
                    findings.append(Finding(
                        RULE_ID,
                        f"Tunnel-logs rollout {label(rollout)} is for a connection in {region} "
                        f"but sends {what} logs to log group {group} in {group_region}; a VPN "
                        f"tunnel logs only to a group in its own region: create the group in "
                        f"{region} (a provider of that region, ResourceOptions(provider=...)).",
                        rollout.urn, rollout.name))
    return findings


def check(resources: Sequence[Resource]) -> list[Finding]:
    """Every Site-to-Site VPN connection logs both tunnels to CloudWatch Logs, in its tunnel
    options or through the kit's one-tunnel-at-a-time rollout resource, in its region."""
    rollouts = rollout_resources(resources)
    # Rollouts indexed by what `_rollout_covers` matches on (connection URN, connection id).
    covering: dict[str, list[Resource]] = {}
    for rollout in rollouts:
        target = rollout.inputs.get("vpnConnectionId")
        keys = set(rollout.depends_through("vpnConnectionId"))
        if isinstance(target, str):
            keys.add(target)
        for key in keys:
            covering.setdefault(key, []).append(rollout)
    findings = []
    for connection in (r for r in resources if r.type == aws_facts.AWS_VPN_CONNECTION_TYPE):
        unlogged = [f"tunnel{n}" for n in (1, 2) if not _tunnel_logged(connection, n)]
        candidates = covering.get(connection.urn, []) + covering.get(connection.known_id or "", [])
        if not unlogged or any(rollout_covers(r, connection) for r in candidates):
            continue
        options = " and ".join(f"{t}LogOptions.cloudwatchLogOptions" for t in unlogged)
        findings.append(Finding(
            RULE_ID,
            f"VPN connection {label(connection)} does not send {', '.join(unlogged)} activity "
            f"logs to CloudWatch Logs; set {options} (logEnabled=true, logGroupArn=<an existing "
            "log group>) or, for a connection already carrying traffic, enable them with the "
            "gatewatch tunnel-logs rollout resource (vpnConnectionId=<connection>.id, "
            "logEnabled=true), which changes one tunnel at a time.",
            connection.urn, connection.name))
    return findings + misplaced_log_groups(resources)


RULE: Final = Rule(
    RULE_ID,
    "Requires both tunnels of every AWS Site-to-Site VPN connection to log to CloudWatch "
    "Logs.",
    "AWS Site-to-Site VPN logs (AWS Site-to-Site VPN User Guide): "
    "https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html",
    check,
    "mandatory",
    "Set tunnel1/tunnel2 log options, or use the gatewatch tunnel-logs rollout resource.",
)
