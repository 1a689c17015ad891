"""Every virtual network gateway the Azure login can read, through Azure Resource Graph
(azure-mgmt-resourcegraph `ResourceGraphClient.resources`, the REST API's `POST
/providers/Microsoft.ResourceGraph/resources`, api-version 2021-03-01, Microsoft's API
definition in azure-rest-api-specs, specification/resourcegraph/.../stable/2021-03-01/
resourcegraph.json).

- Scope: no `subscriptions` in the request, so the query runs over every subscription the
  login can read (the definition's "Basic tenant query" example). Past 10,000 subscriptions
  Resource Graph answers only the first 10,000 and says so with `x-ms-tenant-subscription-
  limit-hit: true` ("Guidance for throttled requests in Azure Resource Graph",
  https://learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-
  requests): a note.
- Paging: "When present, the value [$skipToken] can be passed to a subsequent query call
  (together with the same query and scopes used in the current request) to retrieve the next
  page" (the definition); the query orders by id and projects string columns, since the
  response "won't contain $skipToken if the query contains a limit or sample/take operator [or]
  all output columns are either dynamic or null type" ("Paging Resource Graph results",
  https://learn.microsoft.com/azure/governance/resource-graph/concepts/paging-results).
  `resultTruncated: "true"` without a $skipToken means the list is incomplete: a finding.
- Throttling: "In every query response, Azure Resource Graph adds two throttling headers:
  x-ms-user-quota-remaining (int) ... x-ms-user-quota-resets-after (hh:mm:ss)" (the guidance
  above). With no quota left the next page waits for the reset; a 429 (code RateLimiting) is
  waited out the same way (Retry-After when the answer has one), a few times, then a finding.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gatewatch.live import sources
from gatewatch.live.azure import AzureReader

RESOURCE_GRAPH = "Resource Graph"
GATEWAY_QUERY = (
    "resources | where type =~ 'microsoft.network/virtualnetworkgateways' "
    "| project id, name, subscriptionId, resourceGroup, location, "
    "gatewayType = tostring(properties.gatewayType), vpnType = tostring(properties.vpnType) "
    "| order by id asc")
PAGE_SIZE = 1000  # the definition's maximum $top
MAX_PAGES = 100  # 100,000 gateways: far past any estate; a loop guard, not a limit
THROTTLE_WAITS = 4  # 429s waited out per page before giving up
MAX_WAIT = 30.0  # seconds, per wait
_HMS = re.compile(r"(?P<h>\d+):(?P<m>\d{2}):(?P<s>\d{2}(?:\.\d+)?)")


@dataclass(frozen=True)
class GatewayRow:
    id: str
    name: str
    subscription_id: str
    resource_group: str
    location: str
    gateway_type: str  # Vpn, ExpressRoute, LocalGateway (the API's VirtualNetworkGatewayType)
    vpn_type: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> GatewayRow:
        return cls(str(row.get("id", "")), str(row.get("name", "")),
                   str(row.get("subscriptionId", "")), str(row.get("resourceGroup", "")),
                   str(row.get("location", "")), str(row.get("gatewayType") or ""),
                   str(row.get("vpnType") or ""))


@dataclass
class GraphResult:
    gateways: list[GatewayRow] = field(default_factory=list)
    pages: int = 0
    throttled: int = 0  # 429 answers waited out
    waited: float = 0.0  # seconds spent waiting for quota
    failure: sources.Failure | None = None
    notes: list[str] = field(default_factory=list)


def reset_seconds(text: str | None) -> float | None:
    """x-ms-user-quota-resets-after (hh:mm:ss) in seconds; None when absent or unreadable."""
    match = _HMS.fullmatch((text or "").strip())
    if match is None:
        return None
    return int(match["h"]) * 3600 + int(match["m"]) * 60 + float(match["s"])


def _retry_after(headers: Any) -> float:
    """Seconds to wait after a 429: Retry-After when given, else the quota's reset."""
    try:
        return float(headers.get("Retry-After"))
    except (TypeError, ValueError):
        return reset_seconds(headers.get("x-ms-user-quota-resets-after")) or 1.0


def client(reader: AzureReader) -> Any:
    """The Resource Graph client on the reader's credential. No retry on an HTTP status
    (`retry_status=0`): a 429 is waited out here, by the quota headers."""
    from azure.mgmt.resourcegraph import ResourceGraphClient

    return ResourceGraphClient(reader.credential(), **reader.mgmt_kwargs(), retry_status=0)


def read_gateways(graph: Any, sleep: Callable[[float], None] = time.sleep) -> GraphResult:
    """Every gateway, page by page; a failure of the source ends the read as a finding."""
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

    result = GraphResult()
    token: str | None = None
    throttles = 0
    while result.pages < MAX_PAGES:
        request = QueryRequest(query=GATEWAY_QUERY, options=QueryRequestOptions(
            skip_token=token, top=PAGE_SIZE, result_format="objectArray"))
        try:
            page, headers = graph.resources(request, cls=lambda pipeline, body, _h: (
                body, pipeline.http_response.headers))
        except HttpResponseError as error:
            if error.status_code == 429 and throttles < THROTTLE_WAITS:
                throttles += 1
                wait = min(MAX_WAIT, _retry_after(getattr(error.response, "headers", {})))
                result.throttled += 1
                result.waited += wait
                sleep(wait)
                continue
            result.failure = sources.classify(RESOURCE_GRAPH, error)
            if result.failure is None:
                raise
            return result
        except Exception as error:
            result.failure = sources.classify(RESOURCE_GRAPH, error)
            if result.failure is None:
                raise
            return result
        throttles = 0
        result.pages += 1
        result.gateways.extend(GatewayRow.of(row) for row in (page.data or []))
        if str(headers.get("x-ms-tenant-subscription-limit-hit", "")).lower() == "true":
            result.notes.append("Resource Graph read only the first 10,000 subscriptions the "
                                "login can read: run per management group for the rest")
        token = page.skip_token
        if not token:
            if str(page.result_truncated).lower() == "true":
                result.failure = sources.Failure(
                    RESOURCE_GRAPH, f"returned {len(result.gateways)} of {page.total_records} "
                    "gateways and no $skipToken (resultTruncated)", "run again; report it if it "
                    "stays", refused=True)
            return result
        if str(headers.get("x-ms-user-quota-remaining", "1")).strip() == "0":
            wait = min(MAX_WAIT, reset_seconds(headers.get("x-ms-user-quota-resets-after"))
                       or 1.0)
            result.waited += wait
            sleep(wait)
    result.failure = sources.Failure(RESOURCE_GRAPH, f"still had pages after {MAX_PAGES}",
                                     "report it with --json", refused=True)
    return result
