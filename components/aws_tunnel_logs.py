"""AWS Site-to-Site VPN tunnel activity logs, and the alarms that say a tunnel is down.

Per stack: a CloudWatch Logs group (the destination must exist before a tunnel can log to
it; BGP logs go there too, or to their own group), one TunnelLogging resource per existing VPN
connection (tunnel logs, BGP logs and tunnel lifecycle control in one change per tunnel, rolled
out one tunnel at a time), a TunnelState alarm per tunnel, a metric filter + alarm for
negotiation failures such as a pre-shared key mismatch, an SNS topic that mails the team, an
EventBridge rule that forwards AWS Health scheduled VPN maintenance to that topic, the Logs
Insights query definitions of queries/aws/, and a CloudWatch dashboard.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

# The submodules, not `import pulumi_aws`: mypy skips the package's __init__ (it imports all
# ~250 service modules for type checkers), so only these are type-checked, calls included.
from pulumi_aws import cloudwatch, ec2, sns
from pulumi_aws._inputs import ProviderAssumeRoleArgs
from pulumi_aws.provider import Provider as AwsProvider

from components import kit_tags
from components.tunnel_logging import TunnelLogging, TunnelLoggingArgs
from gatewatch.aws import facts as aws_facts
from gatewatch.aws import names as aws_names
from gatewatch.aws import tunnel_log_vocabulary as vocabulary
from gatewatch.aws.dashboard import dashboard_body
from gatewatch.aws.health import health_event_pattern
from gatewatch.aws.scope import AwsScope
from gatewatch.aws_rollout.throttle import NON_MUTATING, PACE_SHARE
from gatewatch.catalog.load import load
from gatewatch.catalog.model import InsightsQuery
from gatewatch.config.aws import AwsConfig

# The failure messages AWS documents for the tunnel logs, from the one vocabulary table
# (gatewatch/aws/tunnel_log_vocabulary.py, AWS "Contents of Site-to-Site VPN logs"). The filter
# matches any of them (`?` terms); CloudWatch filter terms are case-sensitive, so each is the
# case-exact fixed part of the message.
NEGOTIATION_FAILURE_TERMS = vocabulary.filter_terms()


def negotiation_failure_pattern() -> str:
    return vocabulary.metric_filter_pattern()


def _nth(index: int, values: list[str]) -> str:
    return values[index]


@dataclass
class AwsTunnelLogsArgs:
    config: AwsConfig
    stack: str
    tags: Mapping[str, str] = field(default_factory=dict)
    # The (account, region) this component deploys for; None: the config's first.
    scope: AwsScope | None = None


def scope_provider(name: str, scope: AwsScope, parent: pulumi.Resource) -> AwsProvider:
    """The explicit provider of one (account, region): its region, and for another account
    the role it assumes (pulumi-aws `assumeRoles`, the provider's sts:AssumeRole)."""
    roles = ([ProviderAssumeRoleArgs(role_arn=scope.role_arn,
                                     session_name=aws_names.ROLE_SESSION_NAME)]
             if scope.role_arn else None)
    return AwsProvider(f"{name}-provider", region=scope.region, assume_roles=roles,
                       opts=pulumi.ResourceOptions(parent=parent))


def rollout_parallelism(cfg: AwsConfig) -> int:
    """maxParallel, or as many connections as EC2's DescribeVpnConnections bucket allows when
    each rollout resource polls its own connection every pollSeconds (the dynamic resources
    run in separate processes, so their reads cannot be batched like the command line's)."""
    if cfg.max_parallel is not None:
        return cfg.max_parallel
    _, refill = NON_MUTATING
    return max(1, int(PACE_SHARE * refill * cfg.poll_seconds))


def _topic_policy(args: list[str]) -> str:
    topic_arn, rule_arn = args
    account = topic_arn.split(":")[4]
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {   # what SNS's default topic policy grants: the owning account's principals
                # (the CloudWatch alarms publish this way).
                "Sid": "OwnerAccount",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes",
                           "sns:ListSubscriptionsByTopic"],
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
            },
            {   # EventBridge publishes only for our AWS Health rule.
                "Sid": "HealthScheduledChanges",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            },
        ],
    }, sort_keys=True)


class AwsTunnelLogs(pulumi.ComponentResource):
    log_group_arn: pulumi.Output[str]
    bgp_log_group_arn: pulumi.Output[str]
    topic_arn: pulumi.Output[str]
    dashboard_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: AwsTunnelLogsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gatewatch:aws:TunnelLogs", name, None, opts)
        cfg = args.config
        scope = args.scope or cfg.scopes()[0]
        tags = kit_tags(args.tags)
        provider = scope_provider(name, scope, self)
        child = pulumi.ResourceOptions(parent=self, provider=provider)

        group = cloudwatch.LogGroup(
            f"{name}-log-group",
            name=aws_names.log_group_name(cfg, args.stack),
            retention_in_days=cfg.log_group.retention_in_days,
            kms_key_id=cfg.log_group.kms_key_arn,
            tags=tags,
            opts=child,
        )
        # No SSE with the AWS-managed aws/sns key: CloudWatch alarms cannot publish to it.
        topic = sns.Topic(f"{name}-alarms", name=aws_names.alarm_topic_name(args.stack),
                              tags=tags, opts=child)
        for i, email in enumerate(cfg.alarm_emails):
            sns.TopicSubscription(f"{name}-alarms-email-{i}", topic=topic.arn,
                                      protocol="email", endpoint=email, opts=child)

        bgp_group = group
        if cfg.bgp_logs and cfg.bgp_log_group_name:
            bgp_group = cloudwatch.LogGroup(
                f"{name}-bgp-log-group",
                name=cfg.bgp_log_group_name,
                retention_in_days=cfg.log_group.retention_in_days,
                kms_key_id=cfg.log_group.kms_key_arn,
                tags=tags,
                opts=child,
            )

        parallel = rollout_parallelism(cfg)
        rollouts: list[TunnelLogging] = []
        for i, vpn_id in enumerate(scope.vpn_connections):
            # At most `parallel` connections change at once: each waits for the one
            # `parallel` places before it (Pulumi runs the rest of the graph in parallel).
            waits_for = [rollouts[i - parallel]] if i >= parallel else []
            rollout = TunnelLogging(
                f"{name}-{vpn_id}",
                TunnelLoggingArgs(
                    vpn_connection_id=vpn_id,
                    region=scope.region,
                    log_group_arn=group.arn,
                    log_output_format=cfg.log_output_format,
                    timeout_seconds=cfg.tunnel_up_timeout_minutes * 60,
                    poll_seconds=cfg.poll_seconds,
                    endpoint_url=scope.ec2_endpoint_url,
                    role_arn=scope.role_arn,
                    bgp_log_enabled=cfg.bgp_logs,
                    bgp_log_group_arn=bgp_group.arn if cfg.bgp_logs else None,
                    lifecycle_control=cfg.tunnel_lifecycle_control,
                ),
                # The log groups must exist before a tunnel is told to log to them.
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=list(dict.fromkeys([group, bgp_group, *waits_for]))),
            )
            rollouts.append(rollout)
            self._tunnel_alarms(name, vpn_id, topic, provider, tags)

        failures = cloudwatch.LogMetricFilter(
            f"{name}-negotiation-failures",
            name=aws_names.NEGOTIATION_FILTER_NAME,
            log_group_name=group.name,
            pattern=negotiation_failure_pattern(),
            metric_transformation=cloudwatch.LogMetricFilterMetricTransformationArgs(
                namespace=aws_names.FAILURE_METRIC_NAMESPACE, name=aws_names.FAILURE_METRIC_NAME,
                value="1", default_value="0"),
            opts=child,
        )
        cloudwatch.MetricAlarm(
            f"{name}-negotiation-failures",
            name=aws_names.negotiation_alarm_name(args.stack),
            alarm_description="IKE negotiation failing (e.g. pre-shared key mismatch): "
                              "see the tunnel's log stream in " + (cfg.log_group.name or
                                                                   "the gatewatch log group"),
            namespace=aws_names.FAILURE_METRIC_NAMESPACE,
            metric_name=aws_names.FAILURE_METRIC_NAME,
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
        self._maintenance_events(name, args.stack, topic, child, tags)
        queries = load(InsightsQuery)
        for query in queries:
            groups = [bgp_group.name] if query.logs == "bgp" else [group.name]
            cloudwatch.QueryDefinition(
                f"{name}-query-{query.id}",
                name=aws_names.query_definition_name(args.stack, query.name),
                log_group_names=groups,
                query_string=query.query,
                opts=child,
            )
        dashboard = cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=aws_names.dashboard_name(args.stack, scope),
            dashboard_body=pulumi.Output.all(group.name, bgp_group.name).apply(
                lambda names: dashboard_body(
                    scope.region, scope.vpn_connections, names[0],
                    names[1] if cfg.bgp_logs else None, queries,
                    (aws_names.FAILURE_METRIC_NAMESPACE, aws_names.FAILURE_METRIC_NAME))),
            opts=child,
        )
        self.log_group_arn = group.arn
        self.bgp_log_group_arn = bgp_group.arn
        self.topic_arn = topic.arn
        self.dashboard_name = dashboard.dashboard_name
        self.register_outputs({"log_group_arn": self.log_group_arn,
                               "bgp_log_group_arn": self.bgp_log_group_arn,
                               "topic_arn": self.topic_arn,
                               "dashboard_name": self.dashboard_name})

    def _maintenance_events(self, name: str, stack: str, topic: sns.Topic,
                            child: pulumi.ResourceOptions, tags: Mapping[str, str]) -> None:
        """AWS Health scheduled changes for Site-to-Site VPN (tunnel endpoint maintenance) go
        to the alarm topic, so the team hears of maintenance as on the Azure side. The topic
        policy lets EventBridge publish for this rule only, and keeps the owner account's
        access (an SNS topic policy replaces the default one)."""
        rule = cloudwatch.EventRule(
            f"{name}-vpn-maintenance",
            name=aws_names.maintenance_rule_name(stack),
            description="AWS Health scheduled changes for Site-to-Site VPN (tunnel endpoint "
                        "maintenance); apply them with `gatewatch aws-tunnels maintenance`.",
            event_pattern=health_event_pattern(),
            tags=tags,
            opts=child,
        )
        policy = sns.TopicPolicy(
            f"{name}-alarms-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, rule.arn).apply(_topic_policy),
            opts=child,
        )
        cloudwatch.EventTarget(
            f"{name}-vpn-maintenance-to-alarms",
            rule=rule.name,
            arn=topic.arn,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[policy])),
        )

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
                name=aws_names.tunnel_alarm_name(vpn_id, tunnel),
                alarm_description=f"Tunnel {tunnel} of {vpn_id} is down. A tunnel-option change "
                                  "keeps it down about 5 minutes; this fires after 10.",
                namespace=aws_facts.AWS_VPN_METRIC_NAMESPACE,
                metric_name=aws_facts.AWS_TUNNEL_STATE_METRIC,
                dimensions={"VpnId": vpn_id, "TunnelIpAddress": tunnel_ip},
                statistic="Maximum",
                # Two 5-minute periods: a planned tunnel-option change (about 5 minutes down,
                # the other tunnel up) does not page; a real outage does.
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
