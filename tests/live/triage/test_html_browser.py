"""The triage HTML page in a real headless browser: it renders without console errors, every
drop in its data is drawn, the verdicts are visible text, and at 800 and 1,400 px the page is
no wider than the window and chart text is drawn large enough to read (the page's own check)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import pytest

from gatewatch.cli import main
from tests.support.browser import render
from tests.support.live_world import World
from tests.support.triage_scenarios import build

# Under pytest-xdist the pages render in one worker, so no two Chromiums run at once.
pytestmark = pytest.mark.xdist_group("browser")

@pytest.fixture
def estate(estate: World) -> World:
    """The healthy estate (tests/conftest.py builds the world)."""
    return estate.healthy()


def _page(w: World, capsys: pytest.CaptureFixture[str]) -> tuple[Path, dict[str, object]]:
    page = w.tmp / "triage.html"
    code = main(["triage", "--config-file", str(w.config_file),
                 "--remote-ip", w.tunnel_ips()[0],
                 "--from", (w.now - dt.timedelta(hours=2, minutes=30)).isoformat(),
                 "--to", (w.now - dt.timedelta(minutes=30)).isoformat(),
                 "--json", "--html", str(page)])
    assert code == 0
    return page, json.loads(capsys.readouterr().out)


def _text(dom: str) -> str:
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", dom, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize("scenario", ["maintenance-failover", "psk-mismatch",
                                      "endpoint-replacement"])
def test_page_renders_every_drop_and_verdict(estate: World, capsys: pytest.CaptureFixture[str],
                                             scenario: str) -> None:
    build(estate, scenario)
    page, data = _page(estate, capsys)
    source = page.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import|url\(http", source), \
        "the page must be self-contained"
    seen = render(page)
    drops = data["drops"]
    assert isinstance(drops, list) and drops
    assert seen.console == [f"gatewatch-triage: rendered {len(drops)} drops"], seen.console
    assert f'data-drops-drawn="{len(drops)}"' in seen.dom
    overview = seen.dom[seen.dom.index('class="chart overview"'):]
    overview = overview[:overview.index("</svg>")]
    drawn = re.findall(r'<rect class="drop[^"]*" data-drop="(\d+)" data-cloud="(\w+)"',
                       overview)
    assert list(dict.fromkeys(n for n, _ in drawn)) == [str(n)
                                                       for n in range(1, len(drops) + 1)]
    # one drop per outage, drawn on each end that logged it
    assert len(drops) == 1 and sorted(c for _, c in drawn) == ["aws", "azure"]
    text = _text(seen.dom)
    for drop in drops:
        assert drop["label"] in text, drop["label"]
        for side in drop["sides"]:  # each end's own times
            assert f"{side['cloud']}: {side['lane']}: down {side['down']}" in text
    if scenario == "maintenance-failover":
        assert 'class="maintenance"' in seen.dom
    if scenario == "endpoint-replacement":
        assert 'class="health"' in seen.dom


@pytest.mark.parametrize("width", [800, 1400])
def test_page_fits_the_window_with_readable_charts(estate: World,
                                                   capsys: pytest.CaptureFixture[str],
                                                   width: int) -> None:
    """Laid out by Chromium at this width, the page's check finds nothing wider than the window
    and no chart text under MIN_TEXT_PX (it logs an error for either)."""
    build(estate, "endpoint-replacement-bgp-first")
    page, data = _page(estate, capsys)
    seen = render(page, width=width)
    assert seen.console == [f"gatewatch-triage: rendered {len(data['drops'])} drops"], \
        seen.console
    assert 'class="chart zoom"' in seen.dom and 'class="why"' in seen.dom


def test_the_layout_check_reports_text_drawn_too_small(estate: World,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """The check the test above relies on does fire: in a 360 px window the 860-unit charts
    are drawn at under 9 px."""
    build(estate, "same-instance")
    page, _ = _page(estate, capsys)
    seen = render(page, width=360)
    assert any("chart text drawn at" in line for line in seen.console), seen.console


def test_the_check_catches_a_page_with_a_script_error(tmp_path: Path) -> None:
    """The console capture the test above relies on does see errors."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p><script>missingFunction();</script>"
                    "</body></html>", encoding="utf-8")
    seen = render(page)
    assert any("ReferenceError" in line for line in seen.console), seen.console
