"""AWS Site-to-Site VPN tunnel activity logs, and the alarms that say a tunnel is down.

Per stack: a CloudWatch Logs group (the destination must exist before a tunnel can log to
it), one TunnelLogging resource per existing VPN connection (rolled out one tunnel at a time),
a TunnelState alarm per tunnel, a metric filter + alarm for negotiation failures such as a
pre-shared key mismatch, and an SNS topic that mails the team.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

# The submodules, not `import pulumi_aws`: mypy skips the package's __init__ (it imports all
# ~250 service modules for type checkers), so only these are type-checked, calls included.
from pulumi_aws import cloudwatch, ec2, sns
from pulumi_aws.provider import Provider as AwsProvider

from components import kit_tags
from components.tunnel_logging import TunnelLogging, TunnelLoggingArgs
from gatewatch import facts
from gatewatch.config import AwsConfig

# Phrases the tunnel logs use when IKE negotiation fails (seed 003 shows the first). The
# filter matches any of them (`?` terms); CloudWatch filter terms are case-sensitive.
NEGOTIATION_FAILURE_TERMS = (
    "pre-shared key mismatch",
    "NO_PROPOSAL_CHOSEN",
    "AUTHENTICATION_FAILED",
    "INVALID_KE_PAYLOAD",
)
FAILURE_METRIC_NAMESPACE = "Gatewatch/VPN"
FAILURE_METRIC_NAME = "TunnelNegotiationFailures"


def negotiation_failure_pattern() -> str:
    return " ".join(f'?"{term}"' for term in NEGOTIATION_FAILURE_TERMS)


def _nth(index: int, values: list[str]) -> str:
    return values[index]


@dataclass
class AwsTunnelLogsArgs:
    config: AwsConfig
    stack: str
    tags: Mapping[str, str] = field(default_factory=dict)


class AwsTunnelLogs(pulumi.ComponentResource):
    log_group_arn: pulumi.Output[str]
    topic_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AwsTunnelLogsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gatewatch:aws:TunnelLogs", name, None, opts)
        cfg = args.config
        tags = kit_tags(args.tags)
        provider = AwsProvider(f"{name}-provider", region=cfg.region,
                                opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=provider)

        group = cloudwatch.LogGroup(
            f"{name}-log-group",
            name=cfg.log_group.name or f"/aws/vendedlogs/gatewatch/{args.stack}",
            retention_in_days=cfg.log_group.retention_in_days,
            kms_key_id=cfg.log_group.kms_key_arn,
            tags=tags,
            opts=child,
        )
        # No SSE with the AWS-managed aws/sns key: CloudWatch alarms cannot publish to it.
        topic = sns.Topic(f"{name}-alarms", name=f"gatewatch-vpn-alarms-{args.stack}",
                              tags=tags, opts=child)
        for i, email in enumerate(cfg.alarm_emails):
            sns.TopicSubscription(f"{name}-alarms-email-{i}", topic=topic.arn,
                                      protocol="email", endpoint=email, opts=child)

        rollouts: list[TunnelLogging] = []
        for i, vpn_id in enumerate(cfg.vpn_connections):
            # At most maxParallel connections change at once: each waits for the one
            # maxParallel places before it (Pulumi runs the rest of the graph in parallel).
            waits_for = [rollouts[i - cfg.max_parallel]] if i >= cfg.max_parallel else []
            rollout = TunnelLogging(
                f"{name}-{vpn_id}",
                TunnelLoggingArgs(
                    vpn_connection_id=vpn_id,
                    region=cfg.region,
                    log_group_arn=group.arn,
                    log_output_format=cfg.log_output_format,
                    timeout_seconds=cfg.tunnel_up_timeout_minutes * 60,
                    poll_seconds=cfg.poll_seconds,
                    endpoint_url=cfg.ec2_endpoint_url,
                ),
                # The log group must exist before a tunnel is told to log to it.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[group, *waits_for]),
            )
            rollouts.append(rollout)
            self._tunnel_alarms(name, vpn_id, topic, provider, tags)

        failures = cloudwatch.LogMetricFilter(
            f"{name}-negotiation-failures",
            name="gatewatch-vpn-negotiation-failures",
            log_group_name=group.name,
            pattern=negotiation_failure_pattern(),
            metric_transformation=cloudwatch.LogMetricFilterMetricTransformationArgs(
                namespace=FAILURE_METRIC_NAMESPACE, name=FAILURE_METRIC_NAME, value="1",
                default_value="0"),
            opts=child,
        )
        cloudwatch.MetricAlarm(
            f"{name}-negotiation-failures",
            name=f"gatewatch-vpn-negotiation-failures-{args.stack}",
            alarm_description="IKE negotiation failing (e.g. pre-shared key mismatch): "
                              "see the tunnel's log stream in " + (cfg.log_group.name or
                                                                   "the gatewatch log group"),
            namespace=FAILURE_METRIC_NAMESPACE,
            metric_name=FAILURE_METRIC_NAME,
            statistic="Sum",
            period=300,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[topic.arn],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[failures]),
        )
        self.log_group_arn = group.arn
        self.topic_arn = topic.arn
        self.register_outputs({"log_group_arn": self.log_group_arn, "topic_arn": self.topic_arn})

    def _tunnel_alarms(self, name: str, vpn_id: str, topic: sns.Topic,
                       provider: AwsProvider, tags: Mapping[str, str]) -> None:
        """A TunnelState alarm per tunnel. Tunnels are numbered by sorted outside IP, as the
        rollout engine numbers them; the IPs come from the connection itself."""
        found = ec2.get_vpn_connection_output(
            vpn_connection_id=vpn_id, opts=pulumi.InvokeOptions(parent=self, provider=provider))
        ips = found.vgw_telemetries.apply(
            lambda telemetry: sorted(t.outside_ip_address for t in telemetry))
        for tunnel in (1, 2):
            tunnel_ip = ips.apply(functools.partial(_nth, tunnel - 1))
            cloudwatch.MetricAlarm(
                f"{name}-{vpn_id}-tunnel{tunnel}-down",
                name=f"gatewatch-{vpn_id}-tunnel{tunnel}-down",
                alarm_description=f"Tunnel {tunnel} of {vpn_id} is down. A tunnel-option change "
                                  "keeps it down about 5 minutes; this fires after 10.",
                namespace=facts.AWS_VPN_METRIC_NAMESPACE,
                metric_name=facts.AWS_TUNNEL_STATE_METRIC,
                dimensions={"VpnId": vpn_id, "TunnelIpAddress": tunnel_ip},
                statistic="Maximum",
                # Two 5-minute periods: a planned tunnel-option change (about 5 minutes down,
                # seed 003, the other tunnel up) does not page; a real outage does.
                period=300,
                evaluation_periods=2,
                datapoints_to_alarm=2,
                threshold=1,
                comparison_operator="LessThanThreshold",
                # A tunnel that stops reporting is not healthy.
                treat_missing_data="breaching",
                alarm_actions=[topic.arn],
                ok_actions=[topic.arn],
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, provider=provider),
            )
