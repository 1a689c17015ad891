"""gatewatch:azure: the workspace (created or adopted), the gateways, their diagnostics, the VMs,
and the maintenance window's rules across the gateways it takes."""

from __future__ import annotations

from typing import Any

from gatewatch.config.model import parse_config
from tests.support.stacks import (
    ROUTE_GW,
    VM_ID,
    WORKSPACE_ID,
    base_config,
    problems,
    vm_id,
    window,
    with_azure,
)

# --- workspace -------------------------------------------------------------------------------

def test_adopted_workspace_cannot_be_mixed_with_create_keys() -> None:
    config = base_config()
    config["gatewatch:azure"]["workspace"] = {"existingId": WORKSPACE_ID, "retentionInDays": 90}
    assert "cannot be combined" in problems(config)["gatewatch:azure.workspace"]


def test_adopted_workspace_states_its_region_for_the_dcr() -> None:
    config = with_azure(workspace={"existingId": WORKSPACE_ID, "location": "westeurope"})
    azure = parse_config(config).azure
    assert azure is not None and azure.workspace_location == "westeurope"
    found = problems(with_azure(workspace={"existingId": WORKSPACE_ID, "location": "West Europe"}))
    assert "region" in found["gatewatch:azure.workspace.location"]
    created = parse_config(base_config()).azure
    assert created is not None and created.workspace_location == "japaneast"
    found = problems(with_azure(workspace={"name": "log-x1", "location": "westeurope"}))
    assert "only an adopted workspace" in found["gatewatch:azure.workspace.location"]


# --- gateways and diagnostics ----------------------------------------------------------------

def test_valid_base_config_parses_with_both_gateway_kinds() -> None:
    parsed = parse_config(base_config())
    assert parsed.azure is not None
    assert [g.vpn_type for g in parsed.azure.gateways] == ["RouteBased", "PolicyBased"]
    assert parsed.azure.gateways[1].name == "vpngw-branch"
    assert parsed.azure.gateways[1].resource_group == "rg-branch"


def test_duplicate_gateways_compare_case_insensitively() -> None:
    config = base_config()
    shouted = ROUTE_GW.upper().replace("SUBSCRIPTIONS", "subscriptions")
    config["gatewatch:azure"]["gateways"].append({"id": shouted})
    found = problems(config)
    assert "duplicate of gatewatch:azure.gateways[0].id" in found["gatewatch:azure.gateways[2].id"]


def test_empty_gateway_list_is_an_error() -> None:
    config = base_config()
    config["gatewatch:azure"]["gateways"] = []
    assert "empty list" in problems(config)["gatewatch:azure.gateways"]


def test_event_hub_name_needs_its_authorization_rule() -> None:
    config = base_config()
    config["gatewatch:azure"]["diagnostics"] = {"eventHubName": "vpn-logs"}
    assert "eventHubAuthorizationRuleId" in problems(config)[
        "gatewatch:azure.diagnostics.eventHubName"]


# --- vms -------------------------------------------------------------------------------------

def test_vms_parse_with_flags_and_defaults() -> None:
    azure = parse_config(with_azure(vms=[
        {"id": VM_ID},
        {"id": vm_id("vm-app-02"), "osType": "Windows", "agentManagedElsewhere": True,
         "scheduledEventsServiceInstalled": True},
    ])).azure
    assert azure is not None
    first, second = azure.vms
    assert (first.name, first.resource_group, first.os_type) == ("vm-app-01", "rg-app", None)
    assert not first.agent_managed_elsewhere and not first.scheduled_events_service_installed
    assert second.agent_managed_elsewhere and second.scheduled_events_service_installed
    assert second.key_path == "gatewatch:azure.vms[1]"


def test_os_type_linux_is_a_config_error() -> None:
    found = problems(with_azure(vms=[{"id": VM_ID, "osType": "Linux"}]))
    assert "Linux VMs are not supported" in found["gatewatch:azure.vms[0].osType"]
    assert "remove this VM" in found["gatewatch:azure.vms[0].osType"]


def test_duplicate_vm_ids_compare_case_insensitively() -> None:
    found = problems(with_azure(vms=[{"id": VM_ID}, {"id": VM_ID.upper().replace(
        "SUBSCRIPTIONS", "subscriptions")}]))
    assert "duplicate of gatewatch:azure.vms[0].id" in found["gatewatch:azure.vms[1].id"]


def test_unknown_vm_key_suggests_the_right_one() -> None:
    found = problems(with_azure(vms=[{"id": VM_ID, "agentManagedElseWhere": True}]))
    assert "did you mean 'agentManagedElsewhere'" in \
        found["gatewatch:azure.vms[0].agentManagedElseWhere"]


def test_plan_exits_2_on_linux_os_type(tmp_path: Any) -> None:
    from tests.offline.test_plan_cli import run_cli, write_stack

    result = run_cli("plan", "--config-file", str(write_stack(
        tmp_path, with_azure(vms=[{"id": VM_ID, "osType": "Linux"}]))))
    assert result.returncode == 2
    assert "error: gatewatch:azure.vms[0].osType: Linux VMs are not supported" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


# --- the maintenance window against the gateways ---------------------------------------------

def test_gateway_in_another_region_than_the_window() -> None:
    config = with_azure(maintenanceWindow=window())
    gateways = config["gatewatch:azure"]["gateways"]
    gateways[0]["location"] = "japanwest"
    gateways[1]["maintenanceWindow"] = False
    found = problems(config)
    message = found["gatewatch:azure.gateways[0].location"]
    assert "differs from the maintenance window's region japaneast" in message
    assert "set gatewatch:azure.maintenanceWindow.location to japanwest" in message


def test_window_location_follows_the_gateways() -> None:
    config = with_azure(maintenanceWindow=window(location="japanwest"))
    gateways = config["gatewatch:azure"]["gateways"]
    gateways[0]["location"] = "japanwest"
    gateways[1]["maintenanceWindow"] = False
    azure = parse_config(config).azure
    assert azure is not None and azure.maintenance_window is not None
    assert azure.maintenance_window.location == "japanwest"


def test_policy_based_gateway_must_opt_out_of_the_window() -> None:
    found = problems(with_azure(maintenanceWindow=window()))
    message = found["gatewatch:azure.gateways[1].vpnType"]
    assert "Basic SKU" in message
    assert "gatewatch:azure.gateways[1].maintenanceWindow: false" in message


def test_a_window_with_every_gateway_opted_out_is_an_error() -> None:
    config = with_azure(maintenanceWindow=window())
    for gateway in config["gatewatch:azure"]["gateways"]:
        gateway["maintenanceWindow"] = False
    assert "no gateway is left" in problems(config)["gatewatch:azure.maintenanceWindow"]
