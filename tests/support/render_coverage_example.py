"""Print the README's `gatewatch coverage` example, run against the stand-ins:
`python -m tests.support.render_coverage_example`.

The estate of tests/support/coverage_world.py (gateways in two readable subscriptions,
connections in four enabled regions, Resource Graph answering two gateways a page), two
stack files like the project's, and ap-east-1 reached through a VPC endpoint that refuses.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import pytest

from gatewatch.cli import main
from tests.support import coverage_world as cw
from tests.support.standins.faults import refused_port


def render() -> str:
    mp = pytest.MonkeyPatch()
    out = io.StringIO()
    here = Path.cwd()
    try:
        with tempfile.TemporaryDirectory() as tmp, cw.coverage_world(Path(tmp), mp) as w, \
                refused_port() as dead:
            w.estate()
            w.azure.graph.page_size = 2
            w.stack("dev", cw.azure_section(cw.HUB, cw.LEGACY),
                    cw.aws_section("ap-northeast-1", cw.VPN_TOKYO))
            w.stack("prod", cw.aws_section("us-east-1", cw.VPN_VIRGINIA))
            w.stack("apac", cw.aws_section("ap-east-1", cw.VPN_HONG_KONG, endpoint=dead))
            os.chdir(tmp)
            with contextlib.redirect_stdout(out):
                code = main(["coverage", "--stack", "Pulumi.dev.yaml", "--stack",
                             "Pulumi.prod.yaml", "--stack", "Pulumi.apac.yaml"])
    finally:
        os.chdir(here)
        mp.undo()
    return f"$ gatewatch coverage --stack Pulumi.dev.yaml --stack Pulumi.prod.yaml " \
           f"--stack Pulumi.apac.yaml\n{out.getvalue()}(exit {code})"


if __name__ == "__main__":
    print(render())
