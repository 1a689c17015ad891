"""Benchmark: how `gatewatch plan` grows with the number of gateways (issue 22).

Writes stack files of 50, 200 and 500 route-based gateways with alerts on (the builders of
tests/support/stacks.py), runs the real command once per size (`python -m gatewatch plan
--config-file FILE --json`, in a subprocess: start-up, the SDK imports, the program under
mocks, the KQL check, the sections) and prints the wall seconds, the seconds per gateway and
the 500/50 ratio. A program linear in gateways stays at or under 11x (10x the gateways plus the
fixed cost of start-up and the KQL check); one quadratic in them does not.

    .venv/bin/python bench/plan_scale.py [--sizes 50 200 500] [--root DIR]

`--root` runs the command of another checkout (e.g. the code before a change).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.stacks import base_config, gateway_id  # noqa: E402

LINEAR_RATIO = 11.0


def stack_config(gateways: int) -> dict[str, Any]:
    """The test base stack with `gateways` route-based gateways (vpnType stated, as the base
    stack does) and alerts on (metric, activity, health alerts per gateway)."""
    config = base_config()
    azure = config["gatewatch:azure"]
    azure["gateways"] = [{"id": gateway_id(f"rg-vpn-{i // 50:02d}", f"vpngw-{i:04d}"),
                          "vpnType": "RouteBased"} for i in range(gateways)]
    azure["alerts"] = {"emails": ["netops@example.com"]}
    return config


def write_stack(directory: Path, gateways: int) -> Path:
    # JSON is YAML: the stack file loader reads it as Pulumi.<stack>.yaml.
    path = directory / f"Pulumi.scale{gateways}.yaml"
    path.write_text(json.dumps({"config": stack_config(gateways)}, indent=1), encoding="utf-8")
    return path


def run_once(root: Path, stack_file: Path) -> tuple[float, dict[str, Any]]:
    python = root / ".venv" / "bin" / "python"
    if not python.exists():
        python = ROOT / ".venv" / "bin" / "python"
    start = time.perf_counter()
    proc = subprocess.run([str(python), "-m", "gatewatch", "plan", "--config-file",
                           str(stack_file), "--json"], cwd=root, capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):  # 1: the plan found a problem; still a full run
        sys.exit(f"gatewatch plan exited {proc.returncode}: {proc.stderr.strip()[-800:]}")
    return wall, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()
    times: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="gatewatch-scale-") as tmp:
        for size in args.sizes:
            wall, doc = run_once(args.root, write_stack(Path(tmp), size))
            lookups = len(doc.get("lookups") or [])
            times[size] = wall
            print(f"{size:4d} gateways: {wall:7.2f} s, {wall / size * 1000:6.1f} ms/gateway "
                  f"({lookups} distinct lookups)", flush=True)
    low, high = min(times), max(times)
    if low != high:
        ratio = times[high] / times[low]
        verdict = "linear" if ratio <= LINEAR_RATIO * high / low / 10 else "worse than linear"
        print(f"{high}/{low} ratio: {ratio:.1f}x for {high / low:.0f}x the gateways "
              f"(target <= {LINEAR_RATIO * high / low / 10:.1f}x): {verdict} ({args.root})")


if __name__ == "__main__":
    main()
