"""The example stacks' plans, made once per test process and shared by the modules that read them.

A plan of an example stack takes 5-8 s (the program under the mock runtime, the Kusto language
service, the API-definition check). Several modules assert different things about the same
plan: they share one run here instead of each making its own. Each entry is the real thing:
`cli_plan` runs `python -m gatewatch plan ...` as a user would (a subprocess from the repository
root), `built_plan` calls `build_plan` on the committed stack file. Callers must not change
what they get back.
"""

from __future__ import annotations

import functools
import subprocess
import sys

import pytest

from gatewatch.offline.plan import Plan, build_plan
from gatewatch.paths import PROJECT_ROOT as ROOT

# Under pytest-xdist (`make test`), the tests that read these plans run in one worker, so each
# plan is made once per run rather than once per worker.
uses_example_plans = pytest.mark.xdist_group("example-plans")


@functools.cache
def cli_plan(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m gatewatch plan *args` from the repository root, run once per argument list."""
    return subprocess.run([sys.executable, "-m", "gatewatch", "plan", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


@functools.cache
def built_plan(stack: str) -> Plan:
    """`build_plan` of the committed Pulumi.<stack>.yaml (preview mode), once per stack."""
    return build_plan(ROOT / f"Pulumi.{stack}.yaml", stack)
