"""What `doctor` and `triage` read from each cloud: the reader methods they call, as Protocols.

The readers that run are always `gatewatch.live.azure.AzureReader` and
`gatewatch.live.aws.AwsReader` (the tests point their real SDK clients at local stand-ins);
these Protocols name the part of them the checks depend on, so mypy checks every call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from gatewatch.aws.scope import AwsScope

if TYPE_CHECKING:
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.monitor import MonitorManagementClient

    from gatewatch.aws_rollout.engine import ConnectionView


class AzureReads(Protocol):
    """ARM (the Activity log included) and Log Analytics reads (AzureReader)."""

    def get_by_id(self, resource_id: str, api_version: str) -> dict[str, Any]: ...

    def diagnostic_setting(self, resource_id: str, name: str) -> dict[str, Any]: ...

    def workspace_customer_id(self, workspace_id: str) -> str: ...

    def query(self, customer_id: str, kql: str,
              timespan: tuple[dt.datetime, dt.datetime] | None = None
              ) -> list[dict[str, Any]]: ...

    def activity_log(self, resource_id: str, start: dt.datetime,
                     end: dt.datetime) -> list[dict[str, Any]]: ...

    def monitor(self, subscription_id: str | None = None) -> MonitorManagementClient: ...

    def authorization(self, subscription_id: str | None = None
                      ) -> AuthorizationManagementClient: ...


class AwsReads(Protocol):
    """EC2 VPN, CloudWatch Logs, CloudWatch, EventBridge, AWS Health and CloudTrail reads
    (AwsReader)."""

    def client(self, service: str) -> Any:
        """A boto3 client (boto3 ships no types, so its clients are untyped)."""
        ...

    def connections(self, vpn_ids: Sequence[str]
                    ) -> tuple[list[ConnectionView], list[str]]: ...

    def log_group_arn(self, name: str) -> str | None: ...

    def last_event_ms(self, group: str, vpn_id: str, outside_ip: str) -> int | None: ...

    def events(self, group: str, stream_prefix: str, start_ms: int,
               end_ms: int) -> Iterator[dict[str, Any]]: ...

    def existing_alarms(self, names: Sequence[str]) -> set[str]: ...

    def event_rule(self, name: str) -> dict[str, Any] | None: ...

    def event_target_arns(self, rule: str) -> list[str]: ...

    def lookup_events(self, event_name: str, start: dt.datetime,
                      end: dt.datetime) -> Iterator[dict[str, Any]]: ...

def reader_for(readers: AwsReads | Mapping[str, AwsReads], scope: AwsScope) -> AwsReads:
    """The reader of one (account, region): from a mapping by `scope.label` (one session per
    region and account, gatewatch/live/cli.py), or the one reader a single-region caller
    passes."""
    return readers[scope.label] if isinstance(readers, Mapping) else readers
