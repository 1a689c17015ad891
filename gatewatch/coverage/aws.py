"""Every Site-to-Site VPN connection in every AWS region the account has enabled, through
boto3's EC2 client.

- Regions: `DescribeRegions` without AllRegions "Describes the Regions that are enabled for
  your account" (botocore's EC2 model, DescribeRegions; "Specify which AWS Regions your account
  can use", https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html),
  asked in the session's region (AWS_REGION, the profile), else us-east-1.
- Connections: one `DescribeVpnConnections` per region without ids returns all of them (the
  operation has no paging in botocore's model); `deleting` and `deleted` connections are left
  out, as the rollout's reader leaves them out.
- Regions are read in parallel (a few at a time); each region is its own source
  (gatewatch/live/sources.py): one that cannot be reached, or refuses (an SCP denying the
  region), is a named finding and the others are still read.
- Throttling: EC2 answers RequestLimitExceeded past its request rate ("Request throttling for
  the Amazon EC2 API", https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html);
  botocore's standard retry mode backs off and retries throttling errors ("Retries",
  https://boto3.amazonaws.com/v1/documentation/api/latest/guide/retries.html), up to
  MAX_ATTEMPTS per call.
- Endpoints: botocore's own (AWS_ENDPOINT_URL_EC2 included); in a region a stack reaches
  through `gatewatch:aws.ec2EndpointUrl` (a VPC endpoint), that endpoint, as doctor does.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from gatewatch.live import sources
from gatewatch.live.aws import GONE_STATES, client_config, refused_login

DEFAULT_REGION = "us-east-1"
MAX_ATTEMPTS = 5  # a throttled call is retried with backoff; a dead endpoint costs 2 tries
PARALLEL_REGIONS = 8


def region_source(region: str) -> str:
    return f"EC2 {region}"


@dataclass(frozen=True)
class ConnectionRow:
    id: str
    region: str
    state: str
    vpn_gateway_id: str
    transit_gateway_id: str
    customer_gateway_id: str


@dataclass
class AwsResult:
    regions: list[str] = field(default_factory=list)  # enabled regions
    connections: list[ConnectionRow] = field(default_factory=list)
    failures: dict[str, sources.Failure] = field(default_factory=dict)  # region (or "") -> why


def _client(boto: Any, region: str, endpoint: str | None, attempts: int) -> Any:
    """A service refusing the credentials themselves is the login's problem (exit 2), not a
    region's, as for doctor."""
    kwargs: dict[str, Any] = {"endpoint_url": endpoint} if endpoint else {}
    client = boto.client("ec2", region_name=region, config=client_config(attempts), **kwargs)
    client.meta.events.register("after-call", refused_login(boto))
    return client


def read_connections(boto: Any, endpoints: Mapping[str, str]) -> AwsResult:
    """Enabled regions, then every live connection in each; failures by region."""
    result = AwsResult()
    home = boto.region_name or DEFAULT_REGION
    runs = sources.Sources()
    try:
        answer = runs.call(region_source(home), lambda: _client(
            boto, home, endpoints.get(home), MAX_ATTEMPTS).describe_regions())
    except sources.SourceDown as down:
        result.failures[""] = down.failure
        return result
    result.regions = sorted(str(r["RegionName"]) for r in answer.get("Regions", []))
    clients = {r: _client(boto, r, endpoints.get(r), MAX_ATTEMPTS) for r in result.regions}

    def one(region: str) -> tuple[str, list[ConnectionRow] | sources.Failure]:
        try:
            raw = runs.call(region_source(region),
                            lambda: clients[region].describe_vpn_connections())
        except sources.SourceDown as down:
            failure = down.failure
            if failure.refused:  # what coverage needs there, not what doctor and triage do
                failure = replace(failure, fix=(
                    f"allow ec2:DescribeVpnConnections in {region} (an IAM policy or the "
                    "organization's SCP denies it there), or accept that region unread"))
            return region, failure
        return region, [
            ConnectionRow(str(c["VpnConnectionId"]), region, str(c.get("State", "")),
                          str(c.get("VpnGatewayId") or ""), str(c.get("TransitGatewayId") or ""),
                          str(c.get("CustomerGatewayId") or ""))
            for c in raw.get("VpnConnections", []) if c.get("State") not in GONE_STATES]

    with ThreadPoolExecutor(max_workers=PARALLEL_REGIONS) as pool:
        for region, got in pool.map(one, result.regions):
            if isinstance(got, sources.Failure):
                result.failures[region] = got
            else:
                result.connections.extend(got)
    result.connections.sort(key=lambda c: (c.region, c.id))
    return result
