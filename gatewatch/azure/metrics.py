"""Microsoft's published metric and operation tables of Microsoft.Network/virtualNetworkGateways,
vendored as data in gatewatch/azure/vendor/ (origins in vendor/SOURCES.md):

- virtualnetworkgateways-metrics.json: Microsoft Learn, "Supported metrics for
  Microsoft.Network/virtualNetworkGateways"
  (https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/
  microsoft-network-virtualnetworkgateways-metrics): name, aggregations, dimensions, time
  grains, and whether diagnostic settings can export the metric;
- virtualnetworkgateways-operations.json: Microsoft Learn, "Azure permissions for Networking"
  (https://learn.microsoft.com/azure/role-based-access-control/permissions/networking): the
  gateway's operation strings, as an activity log alert names them.

The metric alert catalog, the workbook's metric view and the tests read them from here.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from gatewatch.azure import facts as azure_facts
from gatewatch.errors import BadInput
from gatewatch.paths import AZURE_VENDOR_DIR

METRICS_FILE = AZURE_VENDOR_DIR / "virtualnetworkgateways-metrics.json"
OPERATIONS_FILE = AZURE_VENDOR_DIR / "virtualnetworkgateways-operations.json"


@dataclass(frozen=True)
class DocumentedMetric:
    name: str
    aggregation: tuple[str, ...]
    dimensions: tuple[str, ...]
    time_grains: tuple[str, ...]
    ds_export: bool


@functools.cache
def documented_metrics() -> dict[str, DocumentedMetric]:
    """Microsoft's table of metrics for virtualNetworkGateways, by REST API name."""
    data = json.loads(METRICS_FILE.read_text(encoding="utf-8"))
    if data.get("resourceType") != azure_facts.GATEWAY_ARM_TYPE:
        raise BadInput(f"{METRICS_FILE}: not the {azure_facts.GATEWAY_ARM_TYPE} metrics table")
    return {
        m["name"]: DocumentedMetric(m["name"], tuple(m["aggregation"]), tuple(m["dimensions"]),
                                    tuple(m["timeGrains"]), bool(m["dsExport"]))
        for m in data["metrics"]
    }


@functools.cache
def documented_operations() -> frozenset[str]:
    """Published Microsoft.Network/virtualNetworkGateways operation strings (lower case:
    ARM compares operation names case-insensitively, and the table mixes cases)."""
    data = json.loads(OPERATIONS_FILE.read_text(encoding="utf-8"))
    return frozenset(o["operation"].lower() for o in data["operations"])
