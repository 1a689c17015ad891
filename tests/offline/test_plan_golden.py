"""`gatewatch plan --json` of dev, prod and the every-feature estate, preview and update mode, is
byte-identical to tests/golden/ (rewrite with `python -m tests.support.plan_golden --write` when a
change is meant to change the plan, and review the diff)."""

from __future__ import annotations

import pytest

from tests.support.plan_golden import CASES, GOLDEN, plan_json


@pytest.mark.parametrize(("stem", "stack", "flags"), CASES, ids=[c[0] for c in CASES])
def test_plan_json_is_unchanged(stem: str, stack: str | None, flags: tuple[str, ...]) -> None:
    expected = (GOLDEN / f"plan-{stem}.json").read_text(encoding="utf-8")
    actual = plan_json(stack, flags)
    assert actual == expected, (f"plan {stem} differs from tests/golden/plan-{stem}.json; run "
                                "`python -m tests.support.plan_golden` to see which, "
                                "--write to accept")
