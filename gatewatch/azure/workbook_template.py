"""The on-call workbook: the page to open first when a VPN tunnel dropped.

Built as data (Microsoft's workbook JSON, "Notebook/1.0", schema in gatewatch/azure/vendor/
workbook-schema.json) from the same catalog the alerts use:

- the drop timeline runs the tunnel-drop classification from alerts/shared/
  tunnel-drop-classification.kql, the file the tunnel-drop alert includes (one home);
- IKE failures use the ike-negotiation-failure alert's own FailurePattern;
- the metric view charts the documented tunnel metrics (checked against gatewatch/azure/vendor/
  virtualnetworkgateways-metrics.json) of the watched gateways, split by RemoteIP.

Every log query runs over the workbook's time range (its TimeRange parameter), against the
workspace the workbook is stored on (sourceId). `workbook_queries()` lists them for the Kusto
language service check and the duckdb-kql runs in the tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from gatewatch.azure import facts as azure_facts
from gatewatch.azure.metrics import documented_metrics
from gatewatch.catalog.files import expand_includes
from gatewatch.catalog.load import load
from gatewatch.catalog.model import LogSearchAlertRule
from gatewatch.paths import ALERTS_DIR

DISPLAY_NAME = "gatewatch: VPN tunnels"
CATEGORY = "workbook"  # workbooks API CategoryParameter: workbook, TSG, performance, retention
KIND = "shared"
VERSION = "Notebook/1.0"
TIME_RANGE = "TimeRange"
LOGS_QUERY_TYPE = 0  # Log Analytics
WORKSPACE_RESOURCE_TYPE = "microsoft.operationalinsights/workspaces"
GATEWAY_RESOURCE_TYPE = azure_facts.GATEWAY_ARM_TYPE.lower()
# Azure Monitor workbooks' metric aggregation numbers (MetricsItem/2.0).
METRIC_AGGREGATIONS = {"Total": 1, "Minimum": 2, "Maximum": 3, "Average": 4, "Count": 7}
# The tunnel metrics the metric view charts, with the aggregation Microsoft documents for each.
METRIC_VIEW: tuple[tuple[str, str], ...] = (
    ("TunnelAverageBandwidth", "Average"),
    ("TunnelIngressPacketDropCount", "Total"),
    ("TunnelEgressPacketDropCount", "Total"),
    ("TunnelIngressPacketDropTSMismatch", "Total"),
    ("BgpPeerStatus", "Average"),
)

# Tunnel, maintenance and configuration events: the timeline the drops are read against.
TIMELINE_QUERY = """AzureDiagnostics
| where Category == "TunnelDiagnosticLog"
    or (Category == "GatewayDiagnosticLog"
        and OperationName in ("HostMaintenanceEvent", "SetGatewayConfiguration"))
| extend Tunnel = iff(Category == "TunnelDiagnosticLog",
    strcat(toupper(Resource), " / ", remoteIP_s), strcat(toupper(Resource), " / gateway"))
| project TimeGenerated, Tunnel, Event = OperationName, Instance = instance_s
| order by TimeGenerated asc"""

_DROP_INPUTS = """{tunables}
let Tunnel = AzureDiagnostics
| where Category == "TunnelDiagnosticLog"
| extend Gateway = toupper(Resource);
let Drops = Tunnel
| where OperationName == "TunnelDisconnected"
| project Gateway, Resource, ResourceGroup, remoteIP_s, instance_s,
    DisconnectedAt = TimeGenerated;
let Events = Tunnel
| project Gateway, remoteIP_s, EventInstance = instance_s, EventOperation = OperationName,
    EventTime = TimeGenerated;
let Maintenance = AzureDiagnostics
| where Category == "GatewayDiagnosticLog"
| where OperationName == "HostMaintenanceEvent"
| project Gateway = toupper(Resource), MaintenanceAt = TimeGenerated;
// @include shared/tunnel-drop-classification.kql"""

DROPS_TAIL = """
| project DisconnectedAt, Gateway = Resource, RemoteIP = remoteIP_s, Instance = instance_s,
    Classification, MaintenanceNearby
| order by DisconnectedAt desc"""

DROPS_BY_CLASS_TAIL = """
| summarize Drops = count() by bin(DisconnectedAt, 1h), Classification"""

BGP_QUERY = """AzureDiagnostics
| where Category == "RouteDiagnosticLog"
| where OperationName in ("BgpConnectedEvent", "BgpDisconnectedEvent")
| project TimeGenerated, Gateway = toupper(Resource), Event = OperationName, Message
| order by TimeGenerated desc"""

P2S_QUERY = """AzureDiagnostics
| where Category == "P2SDiagnosticLog"
| summarize Events = count() by bin(TimeGenerated, 1h), Gateway = toupper(Resource)"""

_IKE_TEMPLATE = """{pattern}  // the ike-negotiation-failure alert's
AzureDiagnostics
| where Category == "IKEDiagnosticLog"
| where Message matches regex FailurePattern
| project TimeGenerated, Gateway = toupper(Resource), Message
| order by TimeGenerated desc"""


def _alert_let(alert: str, name: str) -> str:
    """A `let <name> = ...;` line of an alert's query, reused verbatim (one home)."""
    rule = next(r for r in load(LogSearchAlertRule) if r.name == alert)
    match = re.search(rf"^\s*(let {name} = [^;]+;)", rule.query, re.MULTILINE)
    if match is None:
        raise ValueError(f"{rule.source}: no `let {name} = ...;` line to reuse")
    return match.group(1)


def drops_query() -> str:
    """The classified drops over the workbook's time range: the tunnel-drop alert's
    classification file and tunables, without its ingestion-time slicing (the workbook shows
    every drop in its time range)."""
    tunables = "\n".join(_alert_let("tunnel-drop", n)
                         for n in ("FailoverSeconds", "MaintenanceSeconds"))
    text = _DROP_INPUTS.format(tunables=tunables)
    return expand_includes(text, ALERTS_DIR / "workbook") + DROPS_TAIL


def ike_failures_query() -> str:
    return _IKE_TEMPLATE.format(pattern=_alert_let("ike-negotiation-failure", "FailurePattern"))


def workbook_queries() -> list[tuple[str, str]]:
    """(name, KQL) of every log query in the workbook, as the workbook runs them."""
    drops = drops_query()
    return [
        ("tunnel-timeline", TIMELINE_QUERY),
        ("tunnel-drops", drops),
        ("tunnel-drops-by-class", drops.rsplit(DROPS_TAIL, 1)[0] + DROPS_BY_CLASS_TAIL),
        ("bgp-changes", BGP_QUERY),
        ("ike-failures", ike_failures_query()),
        ("p2s-counts", P2S_QUERY),
    ]


def _markdown(name: str, text: str) -> dict[str, Any]:
    return {"type": 1, "name": name, "content": {"json": text}}


def _query(name: str, title: str, query: str, visualization: str) -> dict[str, Any]:
    return {
        "type": 3,
        "name": name,
        "content": {
            "version": "KqlItem/1.0",
            "query": query,
            "size": 0,
            "title": title,
            "timeContextFromParameter": TIME_RANGE,
            "queryType": LOGS_QUERY_TYPE,
            "resourceType": WORKSPACE_RESOURCE_TYPE,
            "visualization": visualization,
        },
    }


def _metrics(gateway_ids: Sequence[str]) -> dict[str, Any]:
    known = documented_metrics()
    metrics = []
    for metric, aggregation in METRIC_VIEW:
        if metric not in known or aggregation not in known[metric].aggregation:
            raise ValueError(f"{metric} {aggregation} is not a documented metric/aggregation")
        metrics.append({
            "namespace": GATEWAY_RESOURCE_TYPE,
            "metric": f"{GATEWAY_RESOURCE_TYPE}--{metric}",
            "aggregation": METRIC_AGGREGATIONS[aggregation],
            "splitBy": "BgpPeerAddress" if metric == "BgpPeerStatus" else "RemoteIP",
        })
    return {
        "type": 10,
        "name": "tunnel-metrics",
        "content": {
            "chartId": "gatewatch-tunnel-metrics",
            "version": "MetricsItem/2.0",
            "size": 0,
            "chartType": 2,
            "resourceType": GATEWAY_RESOURCE_TYPE,
            "resourceIds": list(gateway_ids),
            "timeContextFromParameter": TIME_RANGE,
            "metrics": metrics,
            "title": "Tunnel metrics per remote IP (Azure Monitor metrics, not the workspace: "
                     "the tunnel dimensions and BgpPeerStatus are not exported to logs)",
        },
    }


def workbook_content(gateway_ids: Sequence[str]) -> dict[str, Any]:
    """The workbook as Microsoft's workbook JSON (serializedData is its JSON text)."""
    queries = dict(workbook_queries())
    return {
        "version": VERSION,
        "items": [
            _markdown("intro", "## VPN tunnels\nEach drop is classified as the tunnel-drop "
                      "alert does (GatewayFailover, SameInstanceReconnect, "
                      "OtherInstanceReconnect, StillDown), with gateway maintenance nearby. "
                      "Read the timeline below it for maintenance and configuration events."),
            {
                "type": 9,
                "name": "parameters",
                "content": {
                    "version": "KqlParameterItem/1.0",
                    "parameters": [{
                        "id": "b7f0a8f2-6c6e-4a53-9b1c-6761746577b3",
                        "version": "KqlParameterItem/1.0",
                        "name": TIME_RANGE,
                        "label": "Time range",
                        "type": 4,
                        "isRequired": True,
                        "value": {"durationMs": 86400000},
                        "typeSettings": {"selectableValues": [
                            {"durationMs": 3600000}, {"durationMs": 14400000},
                            {"durationMs": 86400000}, {"durationMs": 604800000}],
                            "allowCustom": True},
                    }],
                    "style": "pills",
                    "queryType": LOGS_QUERY_TYPE,
                    "resourceType": WORKSPACE_RESOURCE_TYPE,
                },
            },
            _query("tunnel-drops", "Drops per gateway and remote IP, classified",
                   queries["tunnel-drops"], "table"),
            _query("tunnel-drops-by-class", "Drops per hour by class",
                   queries["tunnel-drops-by-class"], "barchart"),
            _query("tunnel-timeline",
                   "Tunnel timeline with gateway maintenance and configuration events",
                   queries["tunnel-timeline"], "table"),
            _query("bgp-changes", "BGP peer changes", queries["bgp-changes"], "table"),
            _query("ike-failures", "IKE negotiation failures", queries["ike-failures"],
                   "table"),
            _query("p2s-counts", "Point-to-site events per hour", queries["p2s-counts"],
                   "timechart"),
            _metrics(gateway_ids),
        ],
        "$schema": "https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/"
                   "schema/workbook.json",
    }


def serialized(gateway_ids: Sequence[str]) -> str:
    return json.dumps(workbook_content(gateway_ids), separators=(",", ":"))
