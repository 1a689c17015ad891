"""gatewatch:aws: tunnel activity logs on existing Site-to-Site VPN connections ("AWS
Site-to-Site VPN logs", https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html),
where they go, and how the rollout paces its tunnel changes."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, StrictBool, StrictInt, StrictStr, field_validator, model_validator

from gatewatch.aws import facts as aws_facts
from gatewatch.config.base import ConfigModel, Email, email_duplicates
from gatewatch.config.fields import Choice, Text, Whole, duplicates, fail

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)
LogGroupName = Annotated[StrictStr, Text(
    r"[.\-_/#A-Za-z0-9]{1,512}", what="a log group name",
    fix="use letters, digits and . - _ / #, e.g. /aws/vendedlogs/gatewatch/vpn")]
BgpLogGroupName = Annotated[StrictStr, Text(
    r"[.\-_/#A-Za-z0-9]{1,512}", what="a log group name",
    fix="use letters, digits and . - _ / #, e.g. /aws/vendedlogs/gatewatch/vpn-bgp")]
LogRetentionDays = Annotated[StrictInt, Whole(1, 3653, allowed=LOG_RETENTION_DAYS)]
KmsKeyArn = Annotated[StrictStr, Text(
    r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-fA-F-]{36}", what="a KMS key ARN",
    fix="use arn:aws:kms:<region>:<account>:key/<key-id>")]
AwsRegion = Annotated[StrictStr, Text(aws_facts.AWS_REGION_RE.pattern, what="an AWS region",
                                      fix="use a region code like ap-northeast-1")]
VpnConnectionId = Annotated[StrictStr, Text(
    aws_facts.AWS_VPN_ID_RE.pattern, what="a VPN connection id",
    fix="use the id of an existing Site-to-Site VPN connection, like vpn-0123456789abcdef0")]
# AWS accepts json or text (aws_facts.AWS_LOG_OUTPUT_FORMATS); the kit reads only json: the
# alarm's metric filter, the Logs Insights queries, triage and doctor read the JSON fields
# (details, ike_phase2_state, type, message.details), and AWS documents the fields, not a
# layout of the text format. AWS's own AWSSupport-TroubleshootVPN runbook likewise "works on
# the CloudWatch log groups ... when the logging Output format is JSON".
READ_LOG_OUTPUT_FORMATS = ("json",)
LogOutputFormat = Annotated[StrictStr, Choice(READ_LOG_OUTPUT_FORMATS)]
# https anywhere; plain http only to this machine (a local EC2 stand-in).
Ec2EndpointUrl = Annotated[StrictStr, Text(
    r"(https://[^\s/]+|http://(127\.0\.0\.1|localhost)(:\d+)?)(/\S*)?",
    what="an https URL (or http://127.0.0.1 for a local stand-in)",
    fix="use e.g. https://vpce-0123.ec2.ap-northeast-1.vpce.amazonaws.com")]


class AwsLogGroupConfig(ConfigModel):
    """Where tunnel logs go. `name` None: /aws/vendedlogs/gatewatch/<stack> (vended-logs
    prefix, so the log group's resource policy stays within its size limit)."""

    example: ClassVar[str] = "{retentionInDays: 30}"

    name: LogGroupName | None = Field(
        default=None, description="Log group name; absent: /aws/vendedlogs/gatewatch/<stack>.")
    retention_in_days: LogRetentionDays = Field(
        default=30, description="Days CloudWatch Logs keeps the tunnel logs (its accepted "
                                "values).")
    kms_key_arn: KmsKeyArn | None = Field(
        default=None, description="KMS key that encrypts the log group.")


class AwsConfig(ConfigModel):
    """The AWS side: tunnel activity logs on existing Site-to-Site VPN connections, rolled
    out one tunnel at a time."""

    example: ClassVar[str] = "{region: ap-northeast-1, vpnConnections: [vpn-0123456789abcdef0]}"

    region: AwsRegion = Field(description="Region of the VPN connections.")
    vpn_connections: tuple[VpnConnectionId, ...] = Field(
        min_length=1, description="Ids of existing Site-to-Site VPN connections (vpn-...).")
    log_group: AwsLogGroupConfig = Field(
        default=AwsLogGroupConfig(), description="Where the tunnel logs go.")
    log_output_format: LogOutputFormat = Field(
        default="json", description="json (the only format the kit reads; AWS's text "
                                    "format is refused).")
    alarm_emails: tuple[Email, ...] = Field(
        default=(), description="Addresses subscribed to the alarms' SNS topic.")
    # A tunnel has been seen back UP about 5 minutes after its options changed; less than that
    # would give up on every healthy tunnel.
    tunnel_up_timeout_minutes: Annotated[StrictInt, Whole(5, 120)] = Field(
        default=15, description="Minutes the rollout waits for a tunnel to come back UP "
                                "(5-120).")
    poll_seconds: Annotated[StrictInt, Whole(5, 300)] = Field(
        default=15, description="Seconds between polls (5-300).")
    # None: as many connections at once as EC2's request throttle allows (the rollout polls in
    # batches and paces its mutating calls; see gatewatch/aws_rollout/throttle.py).
    max_parallel: Annotated[StrictInt, Whole(1, 1000)] | None = Field(
        default=None, description="Connections rolled out in parallel (1-1000); absent: as many "
                                  "as EC2's request throttle allows.")
    # BGP logs set in the same ModifyVpnTunnelOptions call as the tunnel logs; to the tunnel
    # log group, or to their own group when bgp_log_group_name is set.
    bgp_logs: StrictBool = Field(
        default=True, description="true (default): BGP logs in the same tunnel change as the "
                                  "tunnel logs.")
    bgp_log_group_name: BgpLogGroupName | None = Field(
        default=None, description="Own log group for the BGP logs; absent: the tunnel log "
                                  "group.")
    # EnableTunnelLifecycleControl: the team, not AWS, decides when tunnel maintenance runs.
    tunnel_lifecycle_control: StrictBool = Field(
        default=True, description="true (default): EnableTunnelLifecycleControl on every "
                                  "tunnel.")
    # An EC2 endpoint for the rollout, e.g. a VPC interface endpoint when the deploying
    # runner has no route to the public one; None: the regional AWS endpoint.
    ec2_endpoint_url: Ec2EndpointUrl | None = Field(
        default=None, description="EC2 endpoint for the rollout (e.g. a VPC endpoint).")

    @model_validator(mode="after")
    def _bgp_group_needs_bgp_logs(self) -> AwsConfig:
        if not self.bgp_logs and self.bgp_log_group_name is not None:
            raise fail("has no effect with bgpLogs: false",
                       "drop bgpLogGroupName, or set bgpLogs: true", at=("bgpLogGroupName",))
        return self

    @field_validator("log_output_format", mode="before")
    @classmethod
    def _json_only(cls, value: object) -> object:
        if value == "text":
            raise fail("text is not read by the kit: the negotiation-failure alarm's metric "
                       "filter, the Logs Insights queries, triage and doctor read the JSON "
                       "log fields", "set logOutputFormat: json (the default)")
        return value

    @field_validator("vpn_connections")
    @classmethod
    def _connections_once(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        duplicates(ids, lambda i: i, (), "connection").check()
        return ids

    @field_validator("alarm_emails")
    @classmethod
    def _emails_once(cls, emails: tuple[str, ...]) -> tuple[str, ...]:
        email_duplicates(emails)
        return emails
