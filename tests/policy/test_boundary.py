"""The policy package runs inside other teams' `pulumi preview --policy-pack`: it knows nothing
of the offline plan or the harness (no import, hence no cycle with gatewatch.offline.plan), and
the wheel it ships in carries exactly the modules it imports, which import nothing but the
standard library and pulumi-policy."""

from __future__ import annotations

import ast
import json
import runpy
import subprocess
import sys
from pathlib import Path

from gatewatch.paths import PROJECT_ROOT as ROOT


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


POLICY_MODULES = sorted(_module_name(p) for p in (ROOT / "gatewatch" / "policy").rglob("*.py"))


def _loaded_after_importing(names: list[str]) -> set[str]:
    script = (
        "import importlib, json, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('gatewatch'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


def test_importing_the_policy_package_loads_neither_the_plan_nor_the_harness() -> None:
    assert "gatewatch.policy.rules" in POLICY_MODULES and "gatewatch.policy.pack" in POLICY_MODULES
    assert "gatewatch.policy.rules.azure.vpn_gateway_diagnostics" in POLICY_MODULES
    loaded = _loaded_after_importing(POLICY_MODULES)
    assert set(POLICY_MODULES) <= loaded
    heavy = {"gatewatch.offline.plan", "gatewatch.offline.runtime", "gatewatch.cli"}
    assert not loaded & heavy, sorted(loaded)


def test_the_wheel_lists_exactly_the_modules_the_pack_imports() -> None:
    required = runpy.run_path(str(ROOT / "policies" / "build.py"))["REQUIRED_IN_WHEEL"]
    loaded = _loaded_after_importing(["gatewatch.policy.pack"])
    paths = {f"{m.replace('.', '/')}/__init__.py" if (ROOT / m.replace(".", "/")).is_dir()
             else f"{m.replace('.', '/')}.py" for m in loaded}
    assert paths == set(required)


def test_the_pack_imports_only_the_standard_library_and_pulumi_policy() -> None:
    """Every import statement of every module the wheel must carry (also those run lazily)."""
    required = runpy.run_path(str(ROOT / "policies" / "build.py"))["REQUIRED_IN_WHEEL"]
    allowed = set(sys.stdlib_module_names) | {"gatewatch", "pulumi_policy"}
    for rel in required:
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            assert set(tops) <= allowed, (rel, tops)
