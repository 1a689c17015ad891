"""AWS reads for `doctor` and `triage`, through boto3.

Endpoints: botocore's own service-specific variables (AWS_ENDPOINT_URL_EC2,
AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, AWS_ENDPOINT_URL_CLOUDWATCH, AWS_ENDPOINT_URL_HEALTH,
AWS_ENDPOINT_URL_EVENTBRIDGE, AWS_ENDPOINT_URL_CLOUDTRAIL, or AWS_ENDPOINT_URL for all) point
the clients anywhere, the tests' stand-ins included; the stack's
`gatewatch:aws.ec2EndpointUrl` (the rollout's EC2 endpoint) is honoured for EC2 too.
Credentials come from the usual chain (AWS_PROFILE, `aws configure`, SSO, instance roles) and
are never printed; a stack's other accounts are read with their role assumed from them
(gatewatch/aws/sessions.py), one reader per (account, region). A missing, partial or refused
credential is `AwsLoginError` naming the fix
(gatewatch/aws/login.py): when the session is opened, and on any call a service answers with
a credential error (botocore's `after-call` event, "Events" in the boto3 guide,
https://boto3.amazonaws.com/v1/documentation/api/latest/guide/events.html), so a per-source
boundary that turns a refused read into a finding never mistakes a dead login for one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from gatewatch.aws import names as aws_names
from gatewatch.aws.login import AwsLoginError, check_credentials, login_problem
from gatewatch.aws_rollout.clock import RealClock
from gatewatch.aws_rollout.throttle import Pacer
from gatewatch.aws_rollout.views import ConnectionView, connection_view
from gatewatch.live import sources

__all__ = ["HEALTH_REGION", "AwsLoginError", "AwsReader"]

# AWS Health's API is served from us-east-1 (AWS Health API reference, "Endpoints").
HEALTH_REGION = "us-east-1"
# "The rate of lookup requests is limited to two per second, per account, per Region. If this
# limit is exceeded, a throttling error occurs." (CloudTrail API Reference, LookupEvents,
# https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html). Every
# LookupEvents call (each page too) is paced a little below it (the rollout's PACE_SHARE):
# other callers in the account share the limit, so a throttle is still retried once.
LOOKUP_EVENTS_RATE = {"LookupEvents": (2.0, 2.0)}
# "The default number of results returned is 50, with a maximum of 50 possible." (ibid.)
LOOKUP_PAGE_SIZE = 50


# A connection in these states is gone (or going): read as not there.
GONE_STATES = ("deleting", "deleted")


def client_config(attempts: int = sources.AWS_MAX_ATTEMPTS) -> Any:
    """Connect and read timeouts and bounded retries for every client (see
    gatewatch/live/sources.py): a source that hangs is given up on within seconds."""
    from botocore.config import Config

    return Config(connect_timeout=sources.CONNECT_TIMEOUT, read_timeout=sources.AWS_READ_TIMEOUT,
                  retries={"mode": "standard", "total_max_attempts": attempts})


def open_session(region: str | None = None) -> Any:
    """A boto3 session with usable credentials, else AwsLoginError naming the fix."""
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        session = boto3.Session(region_name=region)
    except BotoCoreError as exc:  # e.g. ProfileNotFound for AWS_PROFILE=nope
        raise AwsLoginError(login_problem(exc) or str(exc)) from None
    check_credentials(session)
    return session


def refused_login(session: Any) -> Callable[..., None]:
    """A botocore `after-call` handler: a service's refusal of the credentials themselves
    (InvalidClientTokenId, AuthFailure, ExpiredToken, ...) is AwsLoginError."""
    def handler(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if http_response.status_code < 400:
            return
        from botocore.exceptions import ClientError

        problem = login_problem(ClientError(parsed, model.name), session)
        if problem is not None:
            raise AwsLoginError(problem)
    return handler


@dataclass
class AwsReader:
    region: str
    ec2_endpoint_url: str | None = None
    role_arn: str | None = None  # another account: the role assumed there
    _session: Any = None
    _clients: dict[str, Any] = field(default_factory=dict)
    _pacer: Pacer = field(default_factory=lambda: Pacer(RealClock(), LOOKUP_EVENTS_RATE))

    def session(self) -> Any:
        if self._session is None:
            session = open_session(self.region)
            if self.role_arn is not None:
                from gatewatch.aws.sessions import check_role, session_for

                session = session_for(self.region, self.role_arn, session)
                check_role(session, self.role_arn)
            self._session = session
        return self._session

    def client(self, service: str) -> Any:
        if service not in self._clients:
            kwargs: dict[str, Any] = {}
            if service == "ec2" and self.ec2_endpoint_url:
                kwargs["endpoint_url"] = self.ec2_endpoint_url
            if service == "health":
                kwargs["region_name"] = HEALTH_REGION
            session = self.session()
            client = session.client(service, config=client_config(), **kwargs)
            client.meta.events.register("after-call", refused_login(session))
            if service == "cloudtrail":
                client.meta.events.register("before-call.cloudtrail.LookupEvents",
                                            lambda **_: self._pacer.wait("LookupEvents"))
            self._clients[service] = client
        return self._clients[service]

    # --- reads ----------------------------------------------------------------------------

    def connections(self, vpn_ids: Sequence[str]) -> tuple[list[ConnectionView], list[str]]:
        """The connections that exist (tunnels sorted by outside IP) and the ids that do not."""
        from botocore.exceptions import ClientError

        found: list[ConnectionView] = []
        missing: list[str] = []
        for vpn_id in vpn_ids:  # one call each: a single unknown id fails the whole call
            try:
                raw = self.client("ec2").describe_vpn_connections(VpnConnectionIds=[vpn_id])
            except ClientError as error:
                if error.response["Error"]["Code"] == "InvalidVpnConnectionID.NotFound":
                    missing.append(vpn_id)
                    continue
                raise
            conns = raw.get("VpnConnections", [])
            if not conns or conns[0].get("State") in GONE_STATES:
                missing.append(vpn_id)
            else:
                found.append(connection_view(conns[0]))
        return found, missing

    def log_group_arn(self, name: str) -> str | None:
        paginator = self.client("logs").get_paginator("describe_log_groups")
        for page in paginator.paginate(logGroupNamePrefix=name):
            for group in page.get("logGroups", []):
                if group["logGroupName"] == name:
                    return str(group["arn"]).removesuffix(":*")
        return None

    def last_event_ms(self, group: str, vpn_id: str, outside_ip: str) -> int | None:
        """Newest event time (epoch ms) in the tunnel's own streams: the connection's streams
        listed by prefix, then only those `aws_names.is_tunnel_stream` says are the tunnel's
        (not another tunnel whose outside IP merely starts like this one's)."""
        newest: int | None = None
        paginator = self.client("logs").get_paginator("describe_log_streams")
        prefix = aws_names.tunnel_streams_prefix(vpn_id)
        for page in paginator.paginate(logGroupName=group, logStreamNamePrefix=prefix):
            for stream in page.get("logStreams", []):
                if not aws_names.is_tunnel_stream(str(stream.get("logStreamName", "")), vpn_id,
                                                  outside_ip):
                    continue
                stamp = stream.get("lastEventTimestamp")
                if stamp is not None and (newest is None or stamp > newest):
                    newest = int(stamp)
        return newest

    def events(self, group: str, stream_prefix: str, start_ms: int,
               end_ms: int) -> Iterator[dict[str, Any]]:
        paginator = self.client("logs").get_paginator("filter_log_events")
        for page in paginator.paginate(logGroupName=group, logStreamNamePrefix=stream_prefix,
                                       startTime=start_ms, endTime=end_ms):
            yield from page.get("events", [])

    def existing_alarms(self, names: Sequence[str]) -> set[str]:
        found: set[str] = set()
        client = self.client("cloudwatch")
        for i in range(0, len(names), 100):  # DescribeAlarms takes at most 100 names
            paginator = client.get_paginator("describe_alarms")
            for page in paginator.paginate(AlarmNames=list(names[i:i + 100])):
                found.update(a["AlarmName"] for a in page.get("MetricAlarms", []))
        return found

    def event_rule(self, name: str) -> dict[str, Any] | None:
        """EventBridge DescribeRule on the default bus; None when there is no such rule."""
        client = self.client("events")
        try:
            rule: dict[str, Any] = client.describe_rule(Name=name)
        except client.exceptions.ResourceNotFoundException:
            return None
        return rule

    def event_target_arns(self, rule: str) -> list[str]:
        paginator = self.client("events").get_paginator("list_targets_by_rule")
        return [str(t["Arn"]) for page in paginator.paginate(Rule=rule)
                for t in page.get("Targets", [])]

    def lookup_events(self, event_name: str, start: dt.datetime,
                      end: dt.datetime) -> Iterator[dict[str, Any]]:
        """CloudTrail management events named `event_name` in [start, end], newest first
        (LookupEvents, read-only; one lookup attribute per call, as the API allows)."""
        paginator = self.client("cloudtrail").get_paginator("lookup_events")
        for page in paginator.paginate(
                LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}],
                StartTime=start, EndTime=end,
                PaginationConfig={"PageSize": LOOKUP_PAGE_SIZE}):
            yield from page.get("Events", [])
