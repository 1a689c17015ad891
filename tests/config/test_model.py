"""parse_config: the gatewatch namespace of a stack's config, its sections, and
gatewatch:azure.location's fallback to azure-native:location; every key of the model has its
README row."""

from __future__ import annotations

from typing import Any

from gatewatch.config.aws import AwsConfig
from gatewatch.config.azure import AzureConfig, GatewayConfig
from gatewatch.config.fields import keys_of
from gatewatch.config.model import parse_config
from gatewatch.paths import PROJECT_ROOT
from tests.support.stacks import base_config, problem_lines, problems


def without_location(**extra: Any) -> dict[str, Any]:
    config = base_config()
    del config["gatewatch:azure"]["location"]
    config.update(extra)
    return config


def test_missing_required_keys_are_each_named() -> None:
    config = base_config()
    del config["gatewatch:azure"]["workspace"]
    del config["gatewatch:azure"]["location"]
    found = problems(config)
    assert "gatewatch:azure.workspace" in found
    assert "gatewatch:azure.location" in found


def test_missing_azure_section_is_named() -> None:
    found = problems({"azure-native:location": "japaneast"})
    assert "gatewatch:azure" in found


def test_other_namespaces_are_left_to_their_providers() -> None:
    config = base_config()
    config["azure-native:location"] = "japaneast"
    config["aws:region"] = "ap-northeast-1"
    assert parse_config(config).azure is not None


# --- gatewatch:azure.location and azure-native:location --------------------------------------

def test_location_falls_back_to_the_providers_setting() -> None:
    config = base_config()
    del config["gatewatch:azure"]["location"]
    config["azure-native:location"] = "westeurope"
    parsed = parse_config(config)
    assert parsed.azure is not None and parsed.azure.location == "westeurope"
    config["gatewatch:azure"]["location"] = "japaneast"  # gatewatch's own key wins
    parsed = parse_config(config)
    assert parsed.azure is not None and parsed.azure.location == "japaneast"


def test_location_missing_everywhere_names_both_keys() -> None:
    config = base_config()
    del config["gatewatch:azure"]["location"]
    found = problems(config)
    assert "gatewatch:azure.location" in found
    assert "azure-native:location" in found["gatewatch:azure.location"]


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
    assert problem_lines(without_location()) == [
        "gatewatch:azure.location: missing, and azure-native:location is not set either; set "
        "gatewatch:azure.location or azure-native:location to the region's short name, like "
        "japaneast"]


def test_a_bad_provider_location_is_reported_at_the_provider_key() -> None:
    (line,) = problem_lines(without_location(**{"azure-native:location": "Japan East"}))
    assert line.startswith(
        "azure-native:location: 'Japan East' is not an Azure region (used for "
        "gatewatch:azure.location, which is not set); did you mean japaneast? "), line


def test_an_explicit_null_location_is_an_error_not_a_fallback() -> None:
    config = base_config()
    config["gatewatch:azure"]["location"] = None
    config["azure-native:location"] = "westeurope"
    assert problem_lines(config) == [
        "gatewatch:azure.location: has no value; set gatewatch:azure.location"]


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
    gateway_keys = {f"gateways[].{f.alias}" for f in GatewayConfig.model_fields.values()} \
        - {"gateways[].id", "gateways[].vpnType"}  # described in the `gateways` row
    azure = _table_keys("### Stack config (`gatewatch:azure`)")
    assert len(azure) == len(set(azure))
    assert set(azure) == set(keys_of(AzureConfig)) | gateway_keys
    aws = _table_keys("### AWS (`gatewatch:aws`)")
    assert sorted(aws) == sorted(keys_of(AwsConfig))
