"""`python -m gatewatch plan` end to end: tree, JSON shape, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewatch.cli import main
from gatewatch.paths import PROJECT_ROOT as ROOT
from tests.support.example_plans import built_plan, cli_plan, uses_example_plans
from tests.support.stacks import base_config


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gatewatch", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def write_stack(tmp_path: Path, config: dict[str, object]) -> Path:
    path = tmp_path / "Pulumi.ci.yaml"
    path.write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    return path


@uses_example_plans
def test_plan_of_the_example_stack_prints_the_tree_and_count() -> None:
    result = cli_plan("--stack", "dev")
    assert result.returncode == 0, result.stderr
    assert "azure-native:monitor:DiagnosticSetting" in result.stdout
    assert "gateway-diagnostics-rg-hub-network-vpngw-hub-01" in result.stdout
    assert "Traceback" not in result.stderr
    graph = json.loads(cli_plan("--stack", "dev", "--json").stdout)
    # Every resource of --json (the stack itself included) is a tree row and counted.
    assert f"+ {len(graph['resources'])} to create" in result.stdout
    for resource in graph["resources"]:
        assert resource["name"] in result.stdout


def test_plan_json_has_the_documented_shape(tmp_path: Path) -> None:
    result = run_cli("plan", "--json", "--config-file", str(write_stack(tmp_path, base_config())))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["stack"] == "ci"
    keys = {"urn", "type", "name", "parent", "custom", "inputs", "dependencies",
            "propertyDependencies"}
    for resource in doc["resources"]:
        assert set(resource) == keys, resource["urn"]
        assert resource["urn"].startswith("urn:pulumi:ci::gatewatch::")
    urns = {r["urn"] for r in doc["resources"]}
    setting_type = "azure-native:monitor:DiagnosticSetting"
    settings = [r for r in doc["resources"] if r["type"] == setting_type]
    assert len(settings) == 2
    for setting in settings:
        assert setting["parent"] in urns
        assert setting["custom"] is True
        assert "resourceUri" in setting["inputs"]  # camelCase, as the provider receives it
        assert set(setting["propertyDependencies"]["workspaceId"]) <= urns


def test_bad_config_exits_2_with_key_paths_and_no_traceback(tmp_path: Path) -> None:
    config = base_config()
    config["gatewatch:azure"]["gateways"][1]["id"] = "not-an-id"
    config["gatewatch:azure"]["workspace"]["retentionInDays"] = 5
    result = run_cli("plan", "--config-file", str(write_stack(tmp_path, config)))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith("error: gatewatch:azure.gateways[1].id:") for line in lines)
    assert any("gatewatch:azure.workspace.retentionInDays" in line for line in lines)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # nothing half-done: no plan printed


def test_unknown_stack_file_and_bad_arguments_exit_2() -> None:
    missing = run_cli("plan", "--stack", "nosuchstack")
    assert missing.returncode == 2
    assert "Pulumi.nosuchstack.yaml" in missing.stderr and "file not found" in missing.stderr
    bad_args = run_cli("plan", "--bogus")
    assert bad_args.returncode == 2


def test_not_yaml_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config: [unclosed", encoding="utf-8")
    result = run_cli("plan", "--config-file", str(path))
    assert result.returncode == 2
    assert "not valid YAML" in result.stderr


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    def change(azure: dict[str, Any]) -> None:
        del azure[key]
    return change


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(azure: dict[str, Any]) -> None:
        azure[key] = value
    return change


def _gateway(index: int, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(azure: dict[str, Any]) -> None:
        azure["gateways"][index][key] = value
    return change


def _workspace(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(azure: dict[str, Any]) -> None:
        azure["workspace"][key] = value
    return change


def _duplicate_gateway(azure: dict[str, Any]) -> None:
    azure["gateways"].append(dict(azure["gateways"][0]))


CONFIG_ERRORS = [
    ("missing key", _drop("resourceGroupName"), "gatewatch:azure.resourceGroupName"),
    ("key without value", _set("location", None), "gatewatch:azure.location"),
    ("list without value", _set("gateways", None), "gatewatch:azure.gateways"),
    ("wrong type", _set("gateways", "vpngw01"), "gatewatch:azure.gateways"),
    ("not a gateway id", _gateway(1, "id", "/subscriptions/x/vpngw"),
     "gatewatch:azure.gateways[1].id"),
    ("duplicate gateway", _duplicate_gateway, "gatewatch:azure.gateways[2].id"),
    ("retention out of range", _workspace("retentionInDays", 7),
     "gatewatch:azure.workspace.retentionInDays"),
    ("infinite daily cap", _workspace("dailyQuotaGb", float("inf")),
     "gatewatch:azure.workspace.dailyQuotaGb"),
    ("unknown vpnType", _gateway(0, "vpnType", "Routebased"),
     "gatewatch:azure.gateways[0].vpnType"),
    ("unknown key", _set("gatewayz", []), "gatewatch:azure.gatewayz"),
    ("invalid email", _set("alerts", {"emails": ["ops"]}), "gatewatch:azure.alerts.emails[0]"),
    ("empty email list", _set("alerts", {"emails": []}), "gatewatch:azure.alerts.emails"),
    ("disabled alert not a name", _set("alerts", {"emails": ["a@example.com"],
                                                  "disabled": [{"a": 1}]}),
     "gatewatch:azure.alerts.disabled[0]"),
]


@pytest.mark.parametrize(("case", "change", "key_path"), CONFIG_ERRORS,
                         ids=[c[0] for c in CONFIG_ERRORS])
def test_each_config_error_exits_2_naming_the_key(
    case: str, change: Callable[[dict[str, Any]], None], key_path: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = base_config()
    change(config["gatewatch:azure"])
    code = main(["plan", "--config-file", str(write_stack(tmp_path, config))])
    out, err = capsys.readouterr()
    assert code == 2, case
    assert f"error: {key_path}:" in err, err
    assert out == "" and "Traceback" not in err


@pytest.mark.parametrize("kind", ["directory", "binary"])
def test_an_unreadable_config_file_exits_2(kind: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    if kind == "directory":
        path.mkdir()
    else:
        path.write_bytes(b"config:\n  \xff\xfe\x00gatewatch")
    assert main(["plan", "--config-file", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err


@uses_example_plans
def test_plan_shows_the_grant_and_the_api_definition_check_for_every_example_stack() -> None:
    for stack in ("dev", "prod"):
        plan = built_plan(stack)  # preview mode
        reports = {r.key: r for r in plan.sections}
        schema = reports["schema"]
        assert schema.data["problems"] == [] and not schema.failed, schema.lines
        assert schema.data["resources"] >= 15
        assert reports["docRules"].data["deviations"] == []
        (grant,) = reports["grants"].data
        assert grant["role"] == "Reader"
        assert grant["scope"].startswith("/subscriptions/") and "<unknown>" not in grant["scope"]
        assert grant["scope"].endswith(f"/workspaces/log-gatewatch-{stack}")
        assert "id-vpn-alerts" in grant["principal"]
        assert not plan.failed, [r.lines for r in plan.sections if r.failed]


def test_plan_of_a_stack_across_regions_and_accounts(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = write_stack(tmp_path, {"gatewatch:aws": {
        "region": "ap-northeast-1", "vpnConnections": ["vpn-0123456789abcdef0"],
        "regions": {"us-west-2": {"vpnConnections": ["vpn-0123456789abcdef1"]}},
        "accounts": [{"roleArn": "arn:aws:iam::210987654321:role/gatewatch-deploy",
                      "regions": {"us-east-1": {"vpnConnections": ["vpn-0123456789abcdef2"]}}}],
    }})
    assert main(["plan", "--config-file", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    components = sorted(r["name"] for r in doc["resources"]
                        if r["type"] == "gatewatch:aws:TunnelLogs")
    assert components == ["aws-tunnel-logs", "aws-tunnel-logs-210987654321-us-east-1",
                          "aws-tunnel-logs-us-west-2"]
    cost = doc["awsCost"]
    assert (cost["tunnels"], cost["alarms"]) == (6, 9)
    assert list(cost["byRegion"]) == ["ap-northeast-1", "us-west-2", "210987654321/us-east-1"]
    assert doc["policy"]["violations"] == []
    assert main(["plan", "--config-file", str(path)]) == 0
    text = capsys.readouterr().out
    assert "by region: ap-northeast-1 $" in text and "210987654321/us-east-1 $" in text
    # update mode: the rollouts' log group ARNs are known; each group is in its region
    assert main(["plan", "--config-file", str(path), "--json", "--update"]) == 0
    assert json.loads(capsys.readouterr().out)["policy"]["violations"] == []
