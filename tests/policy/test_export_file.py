"""`gatewatch policy check` over files that are not what `pulumi stack export` writes: each is
exit 2 with one line naming the file and the JSON path of the first problem, never a traceback;
a file Pulumi would write still runs the pack (exit 0/1)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from gatewatch.cli import run
from gatewatch.paths import PROJECT_ROOT as ROOT
from gatewatch.policy import export_file
from gatewatch.policy.resources import MAX_DEPTH

URN = "urn:pulumi:prod::net::azure-native:network:VirtualNetworkGateway::hub"
RG_URN = "urn:pulumi:prod::net::azure-native:resources:ResourceGroup::rg"
GATEWAY = {"urn": URN, "type": "azure-native:network:VirtualNetworkGateway", "custom": True,
           "id": "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Network/"
                 "virtualNetworkGateways/hub",
           "inputs": {"gatewayType": "Vpn", "vpnType": "RouteBased"}, "outputs": {},
           "parent": "", "dependencies": [RG_URN],
           "propertyDependencies": {"resourceGroupName": [RG_URN]}}


def export(*resources: Any) -> dict[str, Any]:
    return {"version": 3, "deployment": {"manifest": {}, "resources": list(resources)}}


def check(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any,
          *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "export.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    code = run(["policy", "check", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    assert "Traceback" not in err
    [line] = err.strip().splitlines()
    return line


def with_field(key: str, value: Any) -> dict[str, Any]:
    return {**GATEWAY, key: value}


@pytest.mark.parametrize("resource, where, message", [
    (with_field("inputs", ["a", "b"]), "deployment.resources[1].inputs",
     "expected an object, got a list"),
    (with_field("inputs", "vpnType=RouteBased"), "deployment.resources[1].inputs",
     "expected an object, got a string"),
    (with_field("inputs", 3), "deployment.resources[1].inputs", "expected an object, got a number"),
    (with_field("outputs", [1]), "deployment.resources[1].outputs",
     "expected an object, got a list"),
    (with_field("outputs", None), "deployment.resources[1].outputs",
     "expected an object, got null"),
    (with_field("propertyDependencies", [URN]), "deployment.resources[1].propertyDependencies",
     "expected an object, got a list"),
    (with_field("propertyDependencies", {"resourceUri": URN}),
     "deployment.resources[1].propertyDependencies.resourceUri", "expected a list, got a string"),
    # Same fields and types as the first resource but for the URNs' own types.
    (with_field("propertyDependencies", {"resourceGroupName": [RG_URN, 7]}),
     "deployment.resources[1].propertyDependencies.resourceGroupName[1]",
     "expected a string, got a number"),
    (with_field("dependencies", [None]), "deployment.resources[1].dependencies[0]",
     "expected a string, got null"),
    (with_field("propertyDependencies", {"tunnel.1": [7]}),
     'deployment.resources[1].propertyDependencies["tunnel.1"][0]',
     "expected a string, got a number"),
    (with_field("dependencies", "urn:x"), "deployment.resources[1].dependencies",
     "expected a list, got a string"),
    (with_field("custom", "true"), "deployment.resources[1].custom",
     "expected a boolean, got a string"),
    (with_field("id", 12), "deployment.resources[1].id", "expected a string, got a number"),
    (with_field("parent", {}), "deployment.resources[1].parent",
     "expected a string, got an object"),
    ({k: v for k, v in GATEWAY.items() if k != "urn"}, "deployment.resources[1]", "has no urn"),
    ("hub", "deployment.resources[1]", "expected an object, got a string"),
])
def test_a_resource_pulumi_would_not_write_is_one_line_with_its_json_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], resource: Any, where: str, message: str,
) -> None:
    # The first resource is fine and of the same type: the shape cache must not hide the second.
    code, out, err = check(tmp_path, capsys, export(GATEWAY, resource, with_field("inputs", [])))
    assert code == 2 and out == ""
    line = one_line(err)
    assert line.startswith(f"error: {tmp_path / 'export.json'}: {where}: {message}; "), line
    assert "pulumi stack export --file FILE" in line


@pytest.mark.parametrize("content, message", [
    ("{not json", "not JSON (Expecting property name"),
    ("", "not JSON"),
    ("[]", "the file: expected an object, got a list"),
    ('"export"', "the file: expected an object, got a string"),
    ('{"deployment": {}}', "not a stack export (no 'version')"),
    ('{"version": 3, "deployment": []}', "deployment: expected an object, got a list"),
    ('{"version": 3, "deployment": {"resources": {}}}',
     "deployment.resources: expected a list, got an object"),
    ('{"version": "3", "deployment": {}}', "version: expected an integer, got a string"),
    ('{"version": 4, "deployment": {}}', "deployment version 4 is not supported"),
])
def test_a_file_of_the_wrong_shape_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str,
) -> None:
    code, out, err = check(tmp_path, capsys, content)
    assert code == 2 and out == ""
    assert one_line(err).startswith(f"error: {tmp_path / 'export.json'}: {message}")


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("levels, message", [
    # Deeper than Python's JSON reader goes (the interpreter's recursion limit).
    (10_000, "nested too deep to read"),
    # Read, but deeper than the pack walks a property value.
    (MAX_DEPTH + 50, f"deployment.resources[0].inputs: nested more than {MAX_DEPTH} levels"),
])
def test_deep_nesting_is_refused_with_one_line_in_a_real_process(
    tmp_path: Path, levels: int, message: str,
) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"version": 3, "deployment": {"resources": [{"urn": "u", "inputs": '
                    f'{{"tags": {nested(levels)}}}}}]}}}}', "utf-8")
    result = subprocess.run([sys.executable, "-m", "gatewatch", "policy", "check", str(path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert one_line(result.stderr).startswith(f"error: {path}: {message}")


def test_a_deep_secret_plaintext_is_refused_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
              "plaintext": nested(10_000)}
    code, _, err = check(tmp_path, capsys, export(with_field("outputs", {"key": secret})))
    assert code == 2
    assert f"deployment.resources[0].outputs: nested more than {MAX_DEPTH}" in one_line(err)


def test_what_pulumi_writes_runs_the_pack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    # Fields Pulumi writes beside those the pack reads, and those it omits (omitempty).
    full = {**GATEWAY, "protect": False, "provider": "urn:...::default", "created":
            "2026-01-01T00:00:00Z", "sourcePosition": "project:///__main__.py#3"}
    bare = {"urn": "urn:pulumi:prod::net::pulumi:pulumi:Stack::net-prod", "custom": False,
            "type": "pulumi:pulumi:Stack"}
    code, out, err = check(tmp_path, capsys, export(full, bare))
    assert (code, err) == (1, "")  # the gateway has no diagnostic setting
    assert "(2 resources)" in out and "VPN gateway 'hub' has no diagnostic setting" in out
    code, out, err = check(tmp_path, capsys, {"version": 3, "deployment": {"manifest": {}}})
    assert (code, err) == (0, "") and "(0 resources)" in out


def _keywords(schema: Any) -> Iterator[str]:
    if isinstance(schema, Mapping):
        for key, value in schema.items():
            yield key
            if key == "properties":
                for sub in value.values():
                    yield from _keywords(sub)
            elif key in ("items", "additionalProperties"):
                yield from _keywords(value)


def test_the_schemas_judge_only_json_types_so_one_check_per_shape_is_enough() -> None:
    """export_file validates each distinct shape (its fields' JSON types) once; that is only
    sound while the schemas say nothing but types, required keys and where they nest."""
    allowed = {"$schema", "title", "type", "required", "properties", "items",
               "additionalProperties"}
    for schema in (export_file.RESOURCE_SCHEMA, export_file.EXPORT_SCHEMA):
        assert set(_keywords(schema)) <= allowed
