"""Stack config builders for tests: a valid base to start from, changed one key at a time,
and the problems parse_config reports for a config that is not valid."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gatewatch.config.model import parse_config
from gatewatch.errors import BadInput

SUB = "11111111-2222-3333-4444-555555555555"


def gateway_id(rg: str, name: str, sub: str = SUB) -> str:
    return (f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/"
            f"virtualNetworkGateways/{name}")


ROUTE_GW = gateway_id("rg-hub", "vpngw-hub")
POLICY_GW = gateway_id("rg-branch", "vpngw-branch")
WORKSPACE_ID = (f"/subscriptions/{SUB}/resourceGroups/rg-shared-logs/providers/"
                "Microsoft.OperationalInsights/workspaces/log-central")


def vm_id(name: str) -> str:
    return (f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/"
            f"virtualMachines/{name}")


VM_ID = vm_id("vm-app-01")


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


def with_alerts(**alerts: Any) -> dict[str, Any]:
    """The base config with gatewatch:azure.alerts set (one address, and these keys)."""
    return with_azure(alerts={"emails": ["netops@example.com"], **alerts})


def with_azure(**keys: Any) -> dict[str, Any]:
    """The base config with these gatewatch:azure keys set."""
    config = base_config()
    config["gatewatch:azure"].update(keys)
    return config


def window(**keys: Any) -> dict[str, Any]:
    """A gatewatch:azure.maintenanceWindow, valid on its own."""
    return {"start": "01:00", "durationHours": 5, "timeZone": "Tokyo Standard Time", **keys}


def with_window(**keys: Any) -> dict[str, Any]:
    """A valid window: the base config's policy-based (Basic SKU) gateway opts out."""
    config = with_azure(maintenanceWindow=window(**keys))
    config["gatewatch:azure"]["gateways"][1]["maintenanceWindow"] = False
    return config


def aws(**keys: Any) -> dict[str, Any]:
    """A gatewatch:aws-only config with these keys set."""
    return {"gatewatch:aws": {"region": "ap-northeast-1",
                              "vpnConnections": ["vpn-0123456789abcdef0"], **keys}}


def problems(config: dict[str, Any]) -> dict[str, str]:
    """Key path -> "<what is wrong>; <fix>" of every problem; the config must be invalid."""
    with pytest.raises(BadInput) as info:
        parse_config(config)
    return {p.path: f"{p.message}; {p.fix}" for p in info.value.problems}


def problem_lines(config: dict[str, Any]) -> list[str]:
    """Every problem as the command line prints it (without its `error: ` prefix)."""
    with pytest.raises(BadInput) as info:
        parse_config(config)
    return [str(p) for p in info.value.problems]
