"""Regenerate the README's examples from the stand-ins:
`python -m tests.support.render_docs_example`.

Writes docs/doctor-example.txt (a doctor run with one STALE and one MISSING line) and
docs/triage-example.png (a triage page, maintenance failover seen from both ends, screenshot
by headless Chromium) plus the page itself, docs/triage-example.html, and the text report of the
same run, docs/triage-example.txt.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import shutil
import tempfile
from pathlib import Path

import pytest

from gatewatch.cli import main
from gatewatch.paths import PROJECT_ROOT
from tests.support.browser import screenshot
from tests.support.live_world import VPN, moto_server, world
from tests.support.triage_scenarios import build

DOCS = PROJECT_ROOT / "docs"


def _run(argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(argv)
    return out.getvalue()


def main_() -> None:
    with moto_server() as moto_url, tempfile.TemporaryDirectory() as tmp:
        mp = pytest.MonkeyPatch()
        try:
            (Path(tmp) / "d").mkdir()
            (Path(tmp) / "t").mkdir()
            with world(Path(tmp) / "d", mp, moto_url) as w:
                w.healthy()
                w.rows[:] = [r for r in w.rows if r["Category"] != "IKEDiagnosticLog"]
                w.add_rows(w.diag_row("IKEDiagnosticLog", w.now - dt.timedelta(hours=11)))
                w.ec2._tunnel(VPN, w.tunnel_ips()[1]).log_options = {"LogEnabled": False}
                text = _run(["doctor", "--config-file", str(w.config_file)])
                (DOCS / "doctor-example.txt").write_text(text, encoding="utf-8")
            with world(Path(tmp) / "t", mp, moto_url) as w:
                w.healthy()
                build(w, "maintenance-failover")
                page = Path(tmp) / "triage.html"
                text = _run(["triage", "--config-file", str(w.config_file),
                      "--remote-ip", w.tunnel_ips()[0],
                      "--from", (w.now - dt.timedelta(hours=2, minutes=20)).isoformat(),
                      "--to", (w.now - dt.timedelta(hours=1, minutes=40)).isoformat(),
                      "--html", str(page)])
                # the report only: not the "wrote <page>" line (a temporary path) nor the
                # moto server's request log that shares stdout
                report = text.split("\nwrote ")[0].rstrip("\n") + "\n"
                (DOCS / "triage-example.txt").write_text(report, encoding="utf-8")
                shutil.copy(page, DOCS / "triage-example.html")
                screenshot(page, DOCS / "triage-example.png", width=1000, height=1180)
        finally:
            mp.undo()


if __name__ == "__main__":
    main_()
