"""gatewatch:aws: tunnel activity logs on existing Site-to-Site VPN connections ("AWS
Site-to-Site VPN logs", https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html),
where they go, and how the rollout paces its tunnel changes.

Where the connections are: `region` + `vpnConnections` (one region of the deploying account),
and/or `regions` (more regions of that account) and `accounts` (other accounts, reached by an
assumed role). A connection's tunnel logs go to a log group in its own region and account,
so every (account, region) gets its own log group, alarms, topic, Health rule and dashboard
(`AwsConfig.scopes`, gatewatch/config/aws_connections.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, ClassVar

from pydantic import Field, StrictBool, StrictInt, StrictStr, field_validator, model_validator

from gatewatch.aws import facts as aws_facts
from gatewatch.aws.scope import AwsScope
from gatewatch.config.base import ConfigModel, Email, emails_once
from gatewatch.config.fields import Choice, Issues, Text, Whole, duplicates, fail

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
# An IAM role in another account the deploying credentials may assume (sts:AssumeRole).
RoleArn = Annotated[StrictStr, Text(
    aws_facts.AWS_ROLE_ARN_RE.pattern, what="an IAM role ARN",
    fix="use arn:aws:iam::<account>:role/<name>, e.g. "
        "arn:aws:iam::210987654321:role/gatewatch-deploy")]
ConnectionIds = Annotated[tuple[VpnConnectionId, ...], Field(min_length=1)]


def _connections_once(ids: tuple[str, ...] | None) -> tuple[str, ...] | None:
    duplicates(ids or (), lambda i: i, (), "connection").check()
    return ids


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


class AwsRegionConnections(ConfigModel):
    """The connections of one region (an entry of `regions`)."""

    example: ClassVar[str] = "{vpnConnections: [vpn-0123456789abcdef0]}"

    vpn_connections: ConnectionIds = Field(
        description="Ids of existing Site-to-Site VPN connections in this region (vpn-...).")
    ec2_endpoint_url: Ec2EndpointUrl | None = Field(
        default=None, description="EC2 endpoint for the rollout in this region (e.g. a VPC "
                                  "endpoint).")

    _once = field_validator("vpn_connections")(_connections_once)


RegionMap = Annotated[dict[AwsRegion, AwsRegionConnections], Field(min_length=1)]


class AwsAccount(ConfigModel):
    """Connections in another account, reached by assuming `roleArn` (an entry of
    `accounts`)."""

    example: ClassVar[str] = ("{roleArn: arn:aws:iam::210987654321:role/gatewatch-deploy, "
                              "regions: {us-east-1: {vpnConnections: [vpn-0123456789abcdef0]}}}")

    role_arn: RoleArn = Field(description="IAM role the deployment and the commands assume in "
                                          "that account.")
    regions: RegionMap = Field(description="That account's connections, by region.")


class AwsConfig(ConfigModel):
    """The AWS side: tunnel activity logs on existing Site-to-Site VPN connections, rolled
    out one tunnel at a time."""

    example: ClassVar[str] = "{region: ap-northeast-1, vpnConnections: [vpn-0123456789abcdef0]}"

    region: AwsRegion | None = Field(
        default=None, description="Region of vpnConnections (the single-region form).")
    vpn_connections: ConnectionIds | None = Field(
        default=None, description="Ids of existing Site-to-Site VPN connections in `region` "
                                  "(vpn-...).")
    regions: RegionMap | None = Field(
        default=None, description="More regions of the deploying account: region -> "
                                  "{vpnConnections}.")
    accounts: tuple[AwsAccount, ...] = Field(
        default=(), description="Other accounts, each by an assumed role: [{roleArn, regions}].")
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

    _once = field_validator("vpn_connections")(_connections_once)

    _emails_once = field_validator("alarm_emails")(emails_once)

    @field_validator("accounts")
    @classmethod
    def _accounts_once(cls, accounts: tuple[AwsAccount, ...]) -> tuple[AwsAccount, ...]:
        duplicates(accounts, lambda a: a.role_arn.split(":")[4], ("roleArn",), "account",
                   why=" (one entry per account, with all its regions)").check()
        return accounts

    @model_validator(mode="after")
    def _where_the_connections_are(self) -> AwsConfig:
        issues = Issues()
        if self.region is not None and self.vpn_connections is None:
            issues.add(("vpnConnections",), "missing",
                       f"list the connections of {self.region} under vpnConnections, or drop "
                       "region and list them under regions")
        if self.region is None and self.vpn_connections is not None:
            issues.add(("region",), "missing", "set region to the region of vpnConnections")
        if self.region is None and self.vpn_connections is None and not (
                self.regions or self.accounts):
            issues.add(("region",), "missing",
                       "set region and vpnConnections, or list connections by region under "
                       "regions: {us-east-1: {vpnConnections: [vpn-...]}}")
        if self.region is not None and self.region in (self.regions or {}):
            issues.add(("regions", self.region), "is gatewatch:aws.region again",
                       "list its connections once, under vpnConnections")
        if self.region is None and self.ec2_endpoint_url is not None:
            issues.add(("ec2EndpointUrl",), "has no effect without region (it is the endpoint "
                       "of region's connections)", "set it per region: regions.<region>."
                       "ec2EndpointUrl")
        seen: dict[str, str] = {}
        for at, ids in self._connection_lists():
            for index, vpn_id in enumerate(ids):
                where = ".".join(str(p) for p in at) + f"[{index}]"
                if vpn_id in seen and seen[vpn_id] != where:
                    issues.add((*at, index), f"duplicate of gatewatch:aws.{seen[vpn_id]}",
                               "list each connection once (a connection is in one region of "
                               "one account)")
                seen.setdefault(vpn_id, where)
        if self.log_group.kms_key_arn is not None:
            key_region = self.log_group.kms_key_arn.split(":")[3]
            for scope in self.scopes():
                if scope.region != key_region or scope.role_arn is not None:
                    issues.add(("logGroup", "kmsKeyArn"),
                               f"is a key in {key_region} of the deploying account, but "
                               f"the connections of {scope.label} log elsewhere (a log group "
                               "uses a key of its own account and region)",
                               "drop kmsKeyArn, or keep the connections in that key's region")
                    break
        issues.check()
        return self

    def _connection_lists(self) -> list[tuple[tuple[str | int, ...], tuple[str, ...]]]:
        out: list[tuple[tuple[str | int, ...], tuple[str, ...]]] = []
        if self.vpn_connections:
            out.append((("vpnConnections",), self.vpn_connections))
        for region, entry in (self.regions or {}).items():
            out.append((("regions", region, "vpnConnections"), entry.vpn_connections))
        for i, account in enumerate(self.accounts):
            for region, entry in account.regions.items():
                out.append((("accounts", i, "regions", region, "vpnConnections"),
                            entry.vpn_connections))
        return out

    def scopes(self) -> tuple[AwsScope, ...]:
        """Every (account, region) with connections, the single-region form's first."""
        found: list[AwsScope] = []
        if self.region is not None and self.vpn_connections:
            found.append(AwsScope(self.region, self.vpn_connections, None,
                                  self.ec2_endpoint_url, primary=True))
        found += _scopes_of(self.regions or {}, None)
        for account in self.accounts:
            found += _scopes_of(account.regions, account.role_arn)
        return tuple(found)

    @property
    def all_connections(self) -> tuple[str, ...]:
        """Every connection id of the stack, in every region and account."""
        return tuple(v for scope in self.scopes() for v in scope.vpn_connections)

    def scope_of(self, vpn_id: str) -> AwsScope | None:
        return next((s for s in self.scopes() if vpn_id in s.vpn_connections), None)


def _scopes_of(regions: Mapping[str, AwsRegionConnections], role_arn: str | None
               ) -> list[AwsScope]:
    return [AwsScope(region, entry.vpn_connections, role_arn, entry.ec2_endpoint_url)
            for region, entry in regions.items()]
