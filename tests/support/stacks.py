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


def estate_config() -> dict[str, Any]:
    """Every Azure feature on: created workspace with a cap, route- and policy-based gateways,
    extra diagnostic destinations, VMs (agent installed and managed elsewhere), a maintenance
    window, alerts with a webhook and severities, tags. The API-definition test judges it."""
    config = base_config()
    azure = config["gatewatch:azure"]
    azure["workspace"]["dailyQuotaGb"] = 5
    azure["gateways"][1]["maintenanceWindow"] = False
    azure["diagnostics"] = {
        "storageAccountId": f"/subscriptions/{SUB}/resourceGroups/rg-archive/providers/"
                            "Microsoft.Storage/storageAccounts/stgatewatcharchive",
        "eventHubAuthorizationRuleId": f"/subscriptions/{SUB}/resourceGroups/rg-siem/providers/"
                                       "Microsoft.EventHub/namespaces/evh-siem/"
                                       "authorizationRules/RootManageSharedAccessKey",
        "eventHubName": "vpn-logs",
    }
    vm = (f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/"
          "virtualMachines/")
    azure["vms"] = [{"id": vm + "vm-app-01"},
                    {"id": vm + "vm-app-02", "agentManagedElsewhere": True,
                     "scheduledEventsServiceInstalled": True}]
    azure["maintenanceWindow"] = {"start": "01:00", "durationHours": 5,
                                  "timeZone": "Tokyo Standard Time"}
    azure["alerts"] = {"emails": ["netops@example.com"],
                       "webhooks": [{"name": "teams", "uri": "https://example.invalid/hook"}],
                       "roleScope": "resourceGroup", "severities": {"tunnel-drop": 1}}
    azure["tags"] = {"environment": "test"}
    return config
