"""mypy skips the provider SDKs' package __init__ (pyproject.toml) to stay light; the kit's
calls into the SDK service modules must still be type-checked."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from gatewatch.paths import PROJECT_ROOT as ROOT

SDKS = ("pulumi_azure_native", "pulumi_aws")
PROBE = '''
from pulumi_aws import cloudwatch
from pulumi_aws.provider import Provider
from pulumi_azure_native import monitor

monitor.DiagnosticSetting("ok", resource_uri="/x", workspace_id="/w")
cloudwatch.LogGroup("ok", retention_in_days=30)
Provider("ok", region="us-east-1")
monitor.DiagnosticSetting("bad", resource_urii="/x")
cloudwatch.LogGroup("bad", retention_in_days="thirty")
Provider("bad", regionn="us-east-1")
'''


def test_a_wrong_argument_to_an_sdk_class_is_still_a_type_error(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(tmp_path / "cache"), str(probe)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    # Overloaded constructors report a wrong keyword twice; what matters is which lines.
    lines = {int(line.split(":")[1]) for line in errors}
    assert lines == {9, 10, 11}, done.stdout
    assert '"resource_urii"' in errors[0] and '"regionn"' in done.stdout
    assert "retention_in_days" in done.stdout


def test_no_kit_module_imports_a_whole_sdk_package() -> None:
    """`import pulumi_aws as aws` would make every `aws.x.Y(...)` an unchecked Any under the
    skip above: import the service modules instead."""
    offenders = []
    files = [ROOT / "__main__.py"]
    for folder in ("gatewatch", "components", "policies"):
        files += sorted((ROOT / folder).rglob("*.py"))
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                offenders += [f"{path.relative_to(ROOT)}: import {a.name}" for a in node.names
                              if a.name in SDKS]
    assert offenders == []
