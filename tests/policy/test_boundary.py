"""The policy package runs inside other teams' `pulumi preview --policy-pack`: it knows nothing
of the offline plan or the harness (no import, hence no cycle with gatewatch.offline.plan)."""

from __future__ import annotations

import json
import subprocess
import sys

from gatewatch.paths import PROJECT_ROOT as ROOT

POLICY_MODULES = sorted(f"gatewatch.policy.{p.stem}" for p in
                        (ROOT / "gatewatch" / "policy").glob("*.py") if p.stem != "__init__")


def test_importing_the_policy_package_loads_neither_the_plan_nor_the_harness() -> None:
    assert "gatewatch.policy.rules" in POLICY_MODULES and "gatewatch.policy.pack" in POLICY_MODULES
    script = (
        "import importlib, json, sys\n"
        f"for name in {POLICY_MODULES!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('gatewatch'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    assert set(POLICY_MODULES) <= loaded
    heavy = {"gatewatch.offline.plan", "gatewatch.offline.runtime", "gatewatch.cli"}
    assert not loaded & heavy, sorted(loaded)
