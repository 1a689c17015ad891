"""Config errors for gatewatch:azure.vms and gatewatch:azure.maintenanceWindow: each names its
key path and the fix, and the plan exits 2 before anything runs."""

from __future__ import annotations

from typing import Any

import pytest

from gatewatch.config.model import parse_config
from gatewatch.errors import BadInput
from tests.support.stacks import SUB, base_config

VM_ID = (f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/"
         "virtualMachines/vm-app-01")


def vm_id(name: str) -> str:
    return VM_ID.replace("vm-app-01", name)


def with_azure(**keys: Any) -> dict[str, Any]:
    config = base_config()
    config["gatewatch:azure"].update(keys)
    return config


def window(**keys: Any) -> dict[str, Any]:
    return {"start": "01:00", "durationHours": 5, "timeZone": "Tokyo Standard Time", **keys}


def with_window(**keys: Any) -> dict[str, Any]:
    """A valid window: the base config's policy-based (Basic SKU) gateway opts out."""
    config = with_azure(maintenanceWindow=window(**keys))
    config["gatewatch:azure"]["gateways"][1]["maintenanceWindow"] = False
    return config


def errors(config: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(BadInput) as info:
        parse_config(config)
    return {p.path: f"{p.message}; {p.fix}" for p in info.value.problems}


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


def test_a_non_vm_id_is_rejected_with_the_expected_shape() -> None:
    gateway = base_config()["gatewatch:azure"]["gateways"][0]["id"]
    found = errors(with_azure(vms=[{"id": gateway}]))
    assert "is not a virtual machine id" in found["gatewatch:azure.vms[0].id"]
    assert "Microsoft.Compute/virtualMachines/<name>" in found["gatewatch:azure.vms[0].id"]


def test_os_type_linux_is_a_config_error() -> None:
    found = errors(with_azure(vms=[{"id": VM_ID, "osType": "Linux"}]))
    assert "Linux VMs are not supported" in found["gatewatch:azure.vms[0].osType"]
    assert "remove this VM" in found["gatewatch:azure.vms[0].osType"]


def test_unknown_os_type_and_flag_types() -> None:
    found = errors(with_azure(vms=[{"id": VM_ID, "osType": "windows",
                                    "agentManagedElsewhere": "yes"}]))
    assert "not one of Windows, Linux" in found["gatewatch:azure.vms[0].osType"]
    assert "true or false" in found["gatewatch:azure.vms[0].agentManagedElsewhere"]


def test_duplicate_vm_ids_compare_case_insensitively() -> None:
    found = errors(with_azure(vms=[{"id": VM_ID}, {"id": VM_ID.upper().replace(
        "SUBSCRIPTIONS", "subscriptions")}]))
    assert "duplicate of gatewatch:azure.vms[0].id" in found["gatewatch:azure.vms[1].id"]


def test_unknown_vm_key_suggests_the_right_one() -> None:
    found = errors(with_azure(vms=[{"id": VM_ID, "agentManagedElseWhere": True}]))
    assert "did you mean 'agentManagedElsewhere'" in \
        found["gatewatch:azure.vms[0].agentManagedElseWhere"]


def test_maintenance_window_parses_to_azure_formats() -> None:
    azure = parse_config(with_window(startDate="2025-06-01")).azure
    assert azure is not None and azure.maintenance_window is not None
    mw = azure.maintenance_window
    assert (mw.duration, mw.start_date, mw.location) == ("05:00", "2025-06-01", "japaneast")
    assert mw.start_date_time("2025-06-01") == "2025-06-01 01:00"
    without = parse_config(with_window()).azure
    assert without is not None and without.maintenance_window is not None
    assert without.maintenance_window.start_date is None  # fixed at first create, not here


def test_window_shorter_than_five_hours() -> None:
    found = errors(with_azure(maintenanceWindow=window(durationHours=4)))
    message = found["gatewatch:azure.maintenanceWindow.durationHours"]
    assert "shorter than Azure's minimum" in message


@pytest.mark.parametrize("duration", ["5", 5.5, True])
def test_window_duration_of_the_wrong_type_is_not_called_too_short(duration: Any) -> None:
    found = errors(with_azure(maintenanceWindow=window(durationHours=duration)))
    message = found["gatewatch:azure.maintenanceWindow.durationHours"]
    assert "must be a whole number of hours" in message
    assert "shorter" not in message


def test_adopted_workspace_states_its_region_for_the_dcr() -> None:
    from tests.support.stacks import WORKSPACE_ID

    config = with_azure(workspace={"existingId": WORKSPACE_ID, "location": "westeurope"})
    azure = parse_config(config).azure
    assert azure is not None and azure.workspace_location == "westeurope"
    found = errors(with_azure(workspace={"existingId": WORKSPACE_ID, "location": "West Europe"}))
    assert "region" in found["gatewatch:azure.workspace.location"]
    created = parse_config(base_config()).azure
    assert created is not None and created.workspace_location == "japaneast"
    found = errors(with_azure(workspace={"name": "log-x1", "location": "westeurope"}))
    assert "only an adopted workspace" in found["gatewatch:azure.workspace.location"]


def test_window_longer_than_a_day() -> None:
    found = errors(with_azure(maintenanceWindow=window(durationHours=24)))
    assert "does not fit in a day" in found["gatewatch:azure.maintenanceWindow.durationHours"]


def test_window_recurs_daily_only() -> None:
    found = errors(with_azure(maintenanceWindow=window(recurEvery="Week")))
    assert "recur daily" in found["gatewatch:azure.maintenanceWindow.recurEvery"]
    assert parse_config(with_window(recurEvery="Day")).azure


def test_window_time_zone_must_be_a_windows_id() -> None:
    found = errors(with_azure(maintenanceWindow=window(timeZone="Asia/Tokyo")))
    assert "Tokyo Standard Time" in found["gatewatch:azure.maintenanceWindow.timeZone"]


def test_window_start_and_date_formats() -> None:
    found = errors(with_azure(maintenanceWindow=window(start="1am", startDate="2025-13-01")))
    assert "HH:MM" in found["gatewatch:azure.maintenanceWindow.start"]
    assert "YYYY-MM-DD" in found["gatewatch:azure.maintenanceWindow.startDate"]


def test_window_missing_keys_are_named() -> None:
    found = errors(with_azure(maintenanceWindow={"start": "01:00"}))
    assert {"gatewatch:azure.maintenanceWindow.durationHours",
            "gatewatch:azure.maintenanceWindow.timeZone"} <= set(found)


def test_gateway_in_another_region_than_the_window() -> None:
    config = with_azure(maintenanceWindow=window())
    gateways = config["gatewatch:azure"]["gateways"]
    gateways[0]["location"] = "japanwest"
    gateways[1]["maintenanceWindow"] = False
    found = errors(config)
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
    found = errors(with_azure(maintenanceWindow=window()))
    message = found["gatewatch:azure.gateways[1].vpnType"]
    assert "Basic SKU" in message
    assert "gatewatch:azure.gateways[1].maintenanceWindow: false" in message


def test_a_window_with_every_gateway_opted_out_is_an_error() -> None:
    config = with_azure(maintenanceWindow=window())
    for gateway in config["gatewatch:azure"]["gateways"]:
        gateway["maintenanceWindow"] = False
    assert "no gateway is left" in errors(config)["gatewatch:azure.maintenanceWindow"]


def test_plan_exits_2_on_linux_os_type(tmp_path: Any) -> None:
    from tests.offline.test_plan_cli import run_cli, write_stack

    result = run_cli("plan", "--config-file", str(write_stack(
        tmp_path, with_azure(vms=[{"id": VM_ID, "osType": "Linux"}]))))
    assert result.returncode == 2
    assert "error: gatewatch:azure.vms[0].osType: Linux VMs are not supported" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
