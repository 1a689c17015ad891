"""The plan of the example stacks and of the every-feature test estate, as `gatewatch plan --json`
prints it, kept in tests/golden/ so a change that is meant to leave behaviour alone can prove it.

`python -m tests.support.plan_golden --write` rewrites the files (after a change that is meant
to change the plan: review the diff); tests/offline/test_plan_golden.py compares byte for byte.

The one value that depends on the day, a maintenance window's first start in update mode (the
day after the first `pulumi up`, components/creation_date.py), is replaced by a marker.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from gatewatch.paths import PROJECT_ROOT as ROOT

GOLDEN = Path(__file__).resolve().parent / "golden"
# (golden file stem, stack name or None for the estate, extra plan flags)
CASES: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    ("dev", "dev", ()),
    ("dev-update", "dev", ("--update",)),
    ("prod", "prod", ()),
    ("prod-update", "prod", ("--update",)),
    ("estate", None, ()),
    ("estate-update", None, ("--update",)),
)
_START = re.compile(r'("startDateTime": ")\d{4}-\d{2}-\d{2}( \d{2}:\d{2}")')


def normalise(text: str) -> str:
    return _START.sub(r"\1<day after the first pulumi up>\2", text)


def plan_json(stack: str | None, flags: tuple[str, ...]) -> str:
    """`python -m gatewatch plan --json` from the repository root, as a user runs it."""
    with tempfile.TemporaryDirectory(prefix="gatewatch-golden-") as tmp:
        if stack is None:
            from tests.support.stacks import estate_config

            path = Path(tmp) / "Pulumi.estate.yaml"
            path.write_text(yaml.safe_dump({"config": estate_config()}), encoding="utf-8")
            which = ["--config-file", str(path)]
        else:
            which = ["--stack", stack]
        done = subprocess.run([sys.executable, "-m", "gatewatch", "plan", *which, "--json", *flags],
                              cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"plan {which} {flags} exited {done.returncode}: {done.stderr}")
    return normalise(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite tests/golden/*.json")
    args = parser.parse_args()
    changed = 0
    for stem, stack, flags in CASES:
        path = GOLDEN / f"plan-{stem}.json"
        text = plan_json(stack, flags)
        same = path.is_file() and path.read_text(encoding="utf-8") == text
        changed += not same
        print(f"{path.relative_to(ROOT)}: {'same' if same else 'DIFFERS'}")
        if args.write and not same:
            path.write_text(text, encoding="utf-8")
    sys.exit(1 if changed and not args.write else 0)


if __name__ == "__main__":
    main()
