"""aws-vpn-bgp-logging (advisory): every Site-to-Site VPN connection that logs its tunnels also
sends both tunnels' BGP logs to CloudWatch Logs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from gatewatch.aws import facts as aws_facts
from gatewatch.checks.model import Finding, Resource, Rule, value_at
from gatewatch.policy.rules.aws import vpn_tunnel_logging
from gatewatch.policy.rules.aws.vpn_tunnel_logging import rollout_covers, rollout_resources
from gatewatch.policy.rules.reading import label

RULE_ID: Final = "aws-vpn-bgp-logging"


def check(resources: Sequence[Resource]) -> list[Finding]:
    """Advisory: every Site-to-Site VPN connection that logs its tunnels also sends BGP logs
    (BgpLogEnabled) of both tunnels, in its tunnel options or through the kit's rollout
    resource. A connection without tunnel logs is left to aws-vpn-tunnel-logging (one finding
    per problem)."""
    rollouts = [r for r in rollout_resources(resources)
                if value_at(r.inputs, "bgpLogEnabled") is True]
    untracked = {f.urn for f in vpn_tunnel_logging.check(resources)}
    findings = []
    for connection in (r for r in resources if r.type == aws_facts.AWS_VPN_CONNECTION_TYPE
                       and r.urn not in untracked):
        unlogged = [f"tunnel{n}" for n in (1, 2)
                    if value_at(connection.inputs, f"tunnel{n}LogOptions",
                                "cloudwatchLogOptions", "bgpLogEnabled") is not True]
        if not unlogged or any(rollout_covers(r, connection) for r in rollouts):
            continue
        findings.append(Finding(
            RULE_ID,
            f"VPN connection {label(connection)} does not send {', '.join(unlogged)} BGP logs "
            "to CloudWatch Logs; set bgpLogEnabled=true (and bgpLogGroupArn) in "
            f"{' and '.join(f'{t}LogOptions.cloudwatchLogOptions' for t in unlogged)}, in the "
            "same change as the tunnel logs (each change costs the tunnel an outage), or use "
            "the gatewatch rollout resource with gatewatch:aws.bgpLogs on.",
            connection.urn, connection.name))
    return findings


RULE: Final = Rule(
    RULE_ID,
    "Requires both tunnels of every AWS Site-to-Site VPN connection to send BGP logs to "
    "CloudWatch Logs.",
    "AWS Site-to-Site VPN logs, BGP logs (AWS Site-to-Site VPN User Guide): "
    "https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html",
    check,
    "advisory",
    "Set bgpLogEnabled in the tunnel log options, or keep gatewatch:aws.bgpLogs on.",
)
