"""The keys the issue branches added to the old hand-written config, on the pydantic model: each
problem is one line in the kit's format, `<key path>: <what is wrong>; <fix>`."""

from __future__ import annotations

from typing import Any

import pytest

from gatewatch.config.model import parse_config
from gatewatch.errors import BadInput
from gatewatch.paths import PROJECT_ROOT
from tests.support.stacks import base_config


def lines(config: dict[str, Any]) -> list[str]:
    """Every problem as the command line prints it (without its `error: ` prefix)."""
    with pytest.raises(BadInput) as info:
        parse_config(config)
    return [str(p) for p in info.value.problems]


def without_location(**extra: Any) -> dict[str, Any]:
    config = base_config()
    del config["gatewatch:azure"]["location"]
    config.update(extra)
    return config


# --- gatewatch:azure.location and azure-native:location --------------------------------------

def test_an_absent_location_takes_the_providers_and_so_does_the_window() -> None:
    config = without_location(**{"azure-native:location": "westeurope"})
    config["gatewatch:azure"]["gateways"][1]["maintenanceWindow"] = False  # policy-based
    config["gatewatch:azure"]["maintenanceWindow"] = {
        "start": "01:00", "durationHours": 5, "timeZone": "UTC"}
    azure = parse_config(config).azure
    assert azure is not None and azure.location == "westeurope"
    assert azure.workspace_location == "westeurope"
    assert azure.maintenance_window is not None
    assert azure.maintenance_window.location == "westeurope"


def test_the_kits_own_location_wins_over_the_providers() -> None:
    config = base_config()
    config["azure-native:location"] = "westeurope"
    azure = parse_config(config).azure
    assert azure is not None and azure.location == "japaneast"


def test_neither_location_set_is_one_line_naming_both_keys() -> None:
    assert lines(without_location()) == [
        "gatewatch:azure.location: missing, and azure-native:location is not set either; set "
        "gatewatch:azure.location or azure-native:location to the region's short name, like "
        "japaneast"]


def test_a_bad_provider_location_is_reported_at_the_provider_key() -> None:
    (line,) = lines(without_location(**{"azure-native:location": "Japan East"}))
    assert line.startswith(
        "azure-native:location: 'Japan East' is not an Azure region (used for "
        "gatewatch:azure.location, which is not set); did you mean japaneast? "), line


def test_an_explicit_null_location_is_an_error_not_a_fallback() -> None:
    config = base_config()
    config["gatewatch:azure"]["location"] = None
    config["azure-native:location"] = "westeurope"
    assert lines(config) == [
        "gatewatch:azure.location: has no value; set gatewatch:azure.location"]


# --- gatewatch:azure.diagnostics.categoryGroup ------------------------------------------------

def diagnostics(**keys: Any) -> dict[str, Any]:
    config = base_config()
    config["gatewatch:azure"]["diagnostics"] = keys
    return config


def test_category_group_all_logs_parses_and_defaults_to_none() -> None:
    azure = parse_config(diagnostics(categoryGroup="allLogs")).azure
    assert azure is not None and azure.diagnostics.category_group == "allLogs"
    azure = parse_config(base_config()).azure
    assert azure is not None and azure.diagnostics.category_group is None


@pytest.mark.parametrize(("value", "line"), [
    ("audit", "gatewatch:azure.diagnostics.categoryGroup: 'audit' is not one of allLogs; use "
              "one of allLogs (case matters)"),
    ("alllogs", "gatewatch:azure.diagnostics.categoryGroup: 'alllogs' is not one of allLogs; "
                "did you mean 'allLogs'? use one of allLogs (case matters)"),
    (True, "gatewatch:azure.diagnostics.categoryGroup: expected a non-empty string, got a "
           "boolean; set gatewatch:azure.diagnostics.categoryGroup to a string (quoted in "
           "YAML)"),
])
def test_a_bad_category_group_is_one_line(value: Any, line: str) -> None:
    assert lines(diagnostics(categoryGroup=value)) == [line]


# --- gatewatch:azure.gateways[].tags ----------------------------------------------------------

def gateway_tags(tags: Any) -> dict[str, Any]:
    config = base_config()
    config["gatewatch:azure"]["gateways"][0]["tags"] = tags
    return config


def test_gateway_tags_parse_and_default_to_none() -> None:
    azure = parse_config(gateway_tags({"MonitorDisable": "true", "env": ""})).azure
    assert azure is not None
    assert dict(azure.gateways[0].tags) == {"MonitorDisable": "true", "env": ""}
    assert dict(azure.gateways[1].tags) == {}


def test_a_gateway_holds_azures_full_fifty_tags() -> None:
    # The kit adds no tag to a gateway it does not own: 50, not the 49 of azure.tags.
    fifty = {f"t{i}": "x" for i in range(50)}
    azure = parse_config(gateway_tags(fifty)).azure
    assert azure is not None and len(azure.gateways[0].tags) == 50
    assert lines(gateway_tags({**fifty, "t50": "x"})) == [
        "gatewatch:azure.gateways[0].tags: has 51 tags; an Azure resource holds at most 50; "
        "keep at most 50 tags (Azure tag limits)"]


@pytest.mark.parametrize(("tags", "line"), [
    ({"MonitorDisable": True},
     "gatewatch:azure.gateways[0].tags.MonitorDisable: expected a non-empty string, got a "
     "boolean; set gatewatch:azure.gateways[0].tags.MonitorDisable to a string (quoted in "
     "YAML)"),
    ({"a/b": "x"},
     "gatewatch:azure.gateways[0].tags.a/b: 'a/b' is not a valid Azure tag name; use up to 512 "
     "characters, none of < > % & \\ ? / (Azure tag limits)"),
    ({"env": "x" * 257},
     "gatewatch:azure.gateways[0].tags.env: is 257 characters long; Azure tag values hold at "
     "most 256; shorten the value (Azure tag limits)"),
    ({"Env": "a", "env": "b"},
     "gatewatch:azure.gateways[0].tags.env: duplicate of gatewatch:azure.gateways[0].tags.Env: "
     "Azure tag names are case-insensitive; keep one of the two (Azure tag limits)"),
    (["MonitorDisable"],
     "gatewatch:azure.gateways[0].tags: expected a mapping, got a list; write it as a mapping of "
     "key: value pairs"),
])
def test_bad_gateway_tags_are_one_line_each(tags: Any, line: str) -> None:
    assert lines(gateway_tags(tags)) == [line]


# --- gatewatch:azure.alerts: names of the three catalogs --------------------------------------

def alerts(**keys: Any) -> dict[str, Any]:
    config = base_config()
    config["gatewatch:azure"]["alerts"] = {"emails": ["netops@example.com"], **keys}
    return config


def test_alerts_of_every_catalog_can_be_disabled_log_and_metric_ones_re_severitied() -> None:
    azure = parse_config(alerts(
        disabled=["gateway-deleted", "bgp-peer-status", "tunnel-drop"],
        severities={"bgp-peer-status": 1, "tunnel-drop": 2})).azure
    assert azure is not None and azure.alerts is not None
    assert azure.alerts.disabled == {"gateway-deleted", "bgp-peer-status", "tunnel-drop"}
    assert dict(azure.alerts.severities) == {"bgp-peer-status": 1, "tunnel-drop": 2}


def test_an_activity_log_alert_takes_no_severity() -> None:
    assert lines(alerts(severities={"gateway-deleted": 1})) == [
        "gatewatch:azure.alerts.severities.gateway-deleted: 'gateway-deleted' is an activity "
        "log alert, and activity log alerts have no severity in Azure's API; remove it from "
        "gatewatch:azure.alerts.severities; to stop it, list it under "
        "gatewatch:azure.alerts.disabled"]


def test_an_unknown_alert_name_lists_all_three_catalogs() -> None:
    (line,) = lines(alerts(disabled=["gateway-delete"]))
    assert line.startswith("gatewatch:azure.alerts.disabled[0]: 'gateway-delete' is not an "
                           "alert of the catalog; did you mean 'gateway-deleted'? use one of ")
    for name in ("gateway-deleted", "bgp-peer-status", "tunnel-drop"):
        assert name in line


# --- gatewatch:azure.maintenanceWindow.startDate ----------------------------------------------

def test_start_date_is_optional_without_a_default() -> None:
    config = base_config()
    config["gatewatch:azure"]["gateways"][1]["maintenanceWindow"] = False  # policy-based
    config["gatewatch:azure"]["maintenanceWindow"] = {
        "start": "01:00", "durationHours": 5, "timeZone": "UTC"}
    azure = parse_config(config).azure
    assert azure is not None and azure.maintenance_window is not None
    assert azure.maintenance_window.start_date is None
    config["gatewatch:azure"]["maintenanceWindow"]["startDate"] = "2025-13-01"
    assert lines(config) == [
        "gatewatch:azure.maintenanceWindow.startDate: '2025-13-01' is not a date like "
        "2025-01-01; write the first day as YYYY-MM-DD"]


# --- gatewatch:aws: BGP logs, tunnel lifecycle control, maxParallel ---------------------------

def aws(**keys: Any) -> dict[str, Any]:
    return {"gatewatch:aws": {"region": "ap-northeast-1",
                              "vpnConnections": ["vpn-0123456789abcdef0"], **keys}}


def test_aws_defaults_bgp_logs_and_lifecycle_control_on_parallel_by_throttle() -> None:
    cfg = parse_config(aws()).aws
    assert cfg is not None
    assert (cfg.bgp_logs, cfg.bgp_log_group_name, cfg.tunnel_lifecycle_control,
            cfg.max_parallel) == (True, None, True, None)
    cfg = parse_config(aws(bgpLogs=False, tunnelLifecycleControl=False, maxParallel=1000,
                           )).aws
    assert cfg is not None
    assert (cfg.bgp_logs, cfg.tunnel_lifecycle_control, cfg.max_parallel) == (False, False, 1000)
    cfg = parse_config(aws(bgpLogGroupName="/aws/vendedlogs/gatewatch/vpn-bgp")).aws
    assert cfg is not None and cfg.bgp_log_group_name == "/aws/vendedlogs/gatewatch/vpn-bgp"


@pytest.mark.parametrize(("keys", "line"), [
    ({"bgpLogs": "yes"},
     "gatewatch:aws.bgpLogs: expected true or false, got a string 'yes'; set gatewatch:aws.bgpLogs "
     "to true or false"),
    ({"bgpLogs": False, "bgpLogGroupName": "/aws/vendedlogs/bgp"},
     "gatewatch:aws.bgpLogGroupName: has no effect with bgpLogs: false; drop bgpLogGroupName, "
     "or set bgpLogs: true"),
    ({"bgpLogGroupName": "bad name!"},
     "gatewatch:aws.bgpLogGroupName: 'bad name!' is not a log group name; use letters, digits "
     "and . - _ / #, e.g. /aws/vendedlogs/gatewatch/vpn-bgp"),
    ({"tunnelLifecycleControl": 1},
     "gatewatch:aws.tunnelLifecycleControl: expected true or false, got a number 1; set "
     "gatewatch:aws.tunnelLifecycleControl to true or false"),
    ({"maxParallel": 1001},
     "gatewatch:aws.maxParallel: 1001 is out of range; use a value from 1 to 1000"),
    ({"maxParallel": 0},
     "gatewatch:aws.maxParallel: 0 is out of range; use a value from 1 to 1000"),
])
def test_bad_aws_keys_are_one_line_each(keys: dict[str, Any], line: str) -> None:
    assert lines(aws(**keys)) == [line]


# --- README: one table row per key, every key of the model ------------------------------------

def _table_keys(heading: str) -> list[str]:

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(heading, 1)[1].split("\n\n", 2)[1]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    keys = []
    for row in rows:
        first = row.split(" | ", 1)[0].removeprefix("| ")
        assert first.count("`") == 2, f"one key per row: {row}"
        keys.append(first.strip("`"))
    return keys


def test_the_readme_tables_list_every_key_once() -> None:
    from gatewatch.config.aws import AwsConfig
    from gatewatch.config.azure import AzureConfig, GatewayConfig
    from gatewatch.config.fields import keys_of

    gateway_keys = {f"gateways[].{f.alias}" for f in GatewayConfig.model_fields.values()} \
        - {"gateways[].id", "gateways[].vpnType"}  # described in the `gateways` row
    azure = _table_keys("### Stack config (`gatewatch:azure`)")
    assert len(azure) == len(set(azure))
    assert set(azure) == set(keys_of(AzureConfig)) | gateway_keys
    aws = _table_keys("### AWS (`gatewatch:aws`)")
    assert sorted(aws) == sorted(keys_of(AwsConfig))
