"""`gatewatch policy check` over stack exports, the plan's policy section, and the pack's own
files (requirements, PulumiPolicy.yaml, a __main__ that only wires)."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi_policy
import pytest
import yaml

from gatewatch.checks.model import UNKNOWN
from gatewatch.errors import BadInput
from gatewatch.offline.recording import Recording
from gatewatch.offline.sections import PlanContext, policy_section
from gatewatch.paths import PROJECT_ROOT as ROOT
from gatewatch.policy.export_file import load_stack_export
from tests.support.example_plans import cli_plan, uses_example_plans
from tests.support.policy_stacks import azure_stack, record
from tests.support.stacks import ROUTE_GW, WORKSPACE_ID

SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gatewatch", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def export_of(rec: Recording) -> dict[str, Any]:
    """A `pulumi stack export` document for a recording made in update mode (the harness's fake
    ids are '<name>-id' for these types)."""
    return {"version": 3, "deployment": {
        "manifest": {"time": "2026-01-01T00:00:00Z", "magic": "x", "version": "v3.272.0"},
        "resources": [
            {"urn": r.urn, "custom": r.custom, "id": f"{r.name}-id", "type": r.type,
             "inputs": r.inputs, "outputs": r.inputs, "parent": r.parent,
             "dependencies": r.dependencies, "propertyDependencies": r.property_dependencies}
            for r in rec.resources
        ]}}


def write(tmp_path: Path, doc: Any, name: str = "stack.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


URN = "urn:pulumi:prod::net::{type}::{name}"
NATIVE_GW = "azure-native:network:VirtualNetworkGateway"
NATIVE_SETTING = "azure-native:monitor:DiagnosticSetting"


def exported(type_: str, name: str, *, id_: str = "", inputs: dict[str, Any] | None = None,
             outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"urn": URN.format(type=type_, name=name), "type": type_, "custom": True, "id": id_,
            "inputs": inputs or {}, "outputs": outputs or {}}


def an_export(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"version": 3, "deployment": {"manifest": {}, "resources": list(resources)}}


FIVE_LOGS = [{"category": c, "enabled": True} for c in (
    "GatewayDiagnosticLog", "TunnelDiagnosticLog", "RouteDiagnosticLog", "IKEDiagnosticLog",
    "P2SDiagnosticLog")]


def test_check_of_a_compliant_export_exits_0(tmp_path: Path) -> None:
    result = run_cli("policy", "check", str(write(tmp_path, export_of(
        record(azure_stack(), preview=False)))))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 mandatory and 0 advisory violations" in result.stdout


def test_check_of_a_gateway_without_diagnostics_exits_1_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, export_of(record(azure_stack(with_setting=False), preview=False)))
    result = run_cli("policy", "check", str(path))
    assert result.returncode == 1
    assert "[mandatory] vpn-gateway-diagnostics: VPN gateway 'hub-gw' has no diagnostic " \
        "setting" in result.stdout
    advisory = write(tmp_path, {"vpn-gateway-diagnostics": "advisory"}, "config.json")
    result = run_cli("policy", "check", str(path), "--config", str(advisory), "--json")
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert doc["failed"] is False
    assert [v["enforcementLevel"] for v in doc["violations"]] == ["advisory"]


def test_an_existing_gateway_matches_by_id_case_insensitively(tmp_path: Path) -> None:
    gateway = exported(NATIVE_GW, "hub", id_=ROUTE_GW,
                       inputs={"gatewayType": "Vpn", "vpnType": "RouteBased"})
    # azure-native outputs omit resourceUri; the input has other casing; no property deps.
    setting = exported(NATIVE_SETTING, "hub-diag", inputs={"resourceUri": ROUTE_GW.upper()},
                       outputs={"workspaceId": WORKSPACE_ID, "logs": FIVE_LOGS})
    by_input = write(tmp_path, an_export(gateway, setting), "by-input.json")
    assert run_cli("policy", "check", str(by_input)).returncode == 0
    # Only the setting's own id (resourceUri + /providers/...) tells where it points.
    setting = exported(NATIVE_SETTING, "hub-diag", outputs={
        "id": f"{ROUTE_GW}/providers/microsoft.insights/diagnosticSettings/gatewatch",
        "workspaceId": WORKSPACE_ID, "logs": FIVE_LOGS})
    by_id = write(tmp_path, an_export(gateway, setting), "by-id.json")
    assert run_cli("policy", "check", str(by_id)).returncode == 0
    other = exported(NATIVE_SETTING, "other-diag", inputs={"resourceUri": WORKSPACE_ID},
                     outputs={"workspaceId": WORKSPACE_ID, "logs": FIVE_LOGS})
    unmatched = write(tmp_path, an_export(gateway, other), "unmatched.json")
    assert run_cli("policy", "check", str(unmatched)).returncode == 1


def test_export_secrets_and_unknowns_are_read_without_leaking(tmp_path: Path) -> None:
    setting = exported(NATIVE_SETTING, "d", outputs={
        "workspaceId": {**SECRET_SIG, "ciphertext": "AAAA"},
        "storageAccountId": {**SECRET_SIG, "plaintext": json.dumps("st")},
        "logs": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"})
    [resource] = load_stack_export(write(tmp_path, an_export(setting)))
    assert resource.inputs["workspaceId"] == "[secret]"
    assert resource.inputs["storageAccountId"] == "st"
    assert resource.inputs["logs"] is UNKNOWN


@pytest.mark.parametrize("content, message", [
    (None, "file not found"),
    ("{not json", "not JSON"),
    ('{"stack": "dev"}', "not a stack export"),
    ('{"version": 2, "deployment": {}}', "version 2 is not supported"),
    ('{"version": 3, "deployment": {"resources": [{"type": "x"}]}}', "has no urn"),
])
def test_a_file_that_is_not_a_stack_export_exits_2_with_one_line(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "export.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_cli("policy", "check", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {path}: ") and message in line


def test_a_bad_policy_config_exits_2(tmp_path: Path) -> None:
    export = write(tmp_path, an_export())
    config = write(tmp_path, {"vpn-gateway-diagnostic": "advisory"}, "config.json")
    result = run_cli("policy", "check", str(export), "--config", str(config))
    assert result.returncode == 2
    assert "did you mean 'vpn-gateway-diagnostics'" in result.stderr


@uses_example_plans
def test_the_plan_of_the_example_stack_prints_the_policy_section() -> None:
    result = cli_plan("--stack", "dev")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    section = result.stdout.split("Policy pack 'gatewatch' (preview: new ids unknown):", 1)[1]
    assert "8 policies of pack 'gatewatch' ran: 0 mandatory and 0 advisory violations" in section


def test_a_mandatory_violation_fails_the_plan_report() -> None:
    rec = record(azure_stack(with_setting=False))
    ctx = PlanContext(stack="policy", config=None, raw_config={}, recording=rec)  # type: ignore[arg-type]
    report = policy_section(ctx)
    assert report.failed and report.key == "policy"
    assert report.data["violations"][0]["policy"] == "vpn-gateway-diagnostics"
    assert not policy_section(PlanContext("policy", None, {}, record(azure_stack()))).failed  # type: ignore[arg-type]


# --- the pack's own files -------------------------------------------------------------------

def test_the_pack_main_only_wires_the_kits_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: seen.update(kwargs))
    runpy.run_path(str(ROOT / "policies" / "__main__.py"), run_name="__main__")
    assert seen["name"] == "gatewatch"
    assert [p.name for p in seen["policies"]][:3] == [
        "vpn-gateway-diagnostics", "policy-based-gateway-categories", "aws-vpn-tunnel-logging"]
    assert seen["enforcement_level"] == pulumi_policy.EnforcementLevel.ADVISORY


def test_the_pack_requirements_pin_the_sdks_and_install_the_kit() -> None:
    lines = [line.strip() for line in (ROOT / "policies" / "requirements.txt")
             .read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert "pulumi-policy==1.21.0" in lines and "pulumi==3.272.0" in lines
    assert "-e .." in lines
    manifest = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text("utf-8"))
    assert manifest["runtime"] == "python"


def test_load_stack_export_raises_config_error_for_a_directory(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot read it"):
        load_stack_export(tmp_path)
