"""Test doubles live with the tests: the product never imports the EC2 stand-in."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from gatewatch.paths import PROJECT_ROOT as ROOT
from tests.support.aws_rollout import subprocess_env

PRODUCT = [ROOT / "gatewatch", ROOT / "components", ROOT / "policies", ROOT / "__main__.py"]


def _product_files() -> list[Path]:
    files: list[Path] = []
    for place in PRODUCT:
        files.extend([place] if place.is_file() else sorted(place.rglob("*.py")))
    return files


def test_no_product_module_imports_the_tests_package() -> None:
    offenders = []
    for path in _product_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names
                          if n == "tests" or n.startswith("tests.")]
    assert len(_product_files()) > 20  # the scan saw the product
    assert offenders == []


def test_the_stand_in_is_gone_from_the_product_package() -> None:
    assert not (ROOT / "gatewatch" / "aws_rollout" / "standin.py").exists()
    assert not (ROOT / "gatewatch" / "aws_rollout" / "ec2xml.py").exists()
    assert (ROOT / "tests" / "support" / "standins" / "ec2.py").is_file()


def test_importing_the_whole_product_loads_no_test_module() -> None:
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "gatewatch").rglob("*.py") if p.name != "__main__.py")
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "import components.aws_tunnel_logs, components.tunnel_logging\n"
            "bad = [m for m in sys.modules if m == 'tests' or m.startswith('tests.')]\n"
            "print(len(sys.modules)); assert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=subprocess_env())
    assert done.returncode == 0, done.stderr
