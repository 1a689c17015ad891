"""Stack config builders for tests: a valid base to start from, changed one key at a time."""

from __future__ import annotations

import copy
from typing import Any

SUB = "11111111-2222-3333-4444-555555555555"


def gateway_id(rg: str, name: str, sub: str = SUB) -> str:
    return (f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/"
            f"virtualNetworkGateways/{name}")


ROUTE_GW = gateway_id("rg-hub", "vpngw-hub")
POLICY_GW = gateway_id("rg-branch", "vpngw-branch")
WORKSPACE_ID = (f"/subscriptions/{SUB}/resourceGroups/rg-shared-logs/providers/"
                "Microsoft.OperationalInsights/workspaces/log-central")


def base_config() -> dict[str, Any]:
    return copy.deepcopy({
        "gatewatch:azure": {
            "location": "japaneast",
            "resourceGroupName": "rg-gatewatch-test",
            "workspace": {"name": "log-gatewatch-test", "retentionInDays": 60},
            "gateways": [
                {"id": ROUTE_GW, "vpnType": "RouteBased"},
                {"id": POLICY_GW, "vpnType": "PolicyBased"},
            ],
        }
    })
