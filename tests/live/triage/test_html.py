"""The triage page's content, parsed from the page `gatewatch triage --html` writes over the
stand-ins: charts that scale (viewBox, width 100%, nothing drawn outside), dated ticks when a
range crosses a UTC date, one panel zoomed to each drop, and per drop the rule that decided the
verdict with the numbers measured from the fixture's own timestamps, and the next step."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from gatewatch.cli import main
from gatewatch.live.triage.collect import alert_windows
from gatewatch.live.triage.next_steps import NEXT_STEPS
from tests.support.live_world import World
from tests.support.triage_scenarios import SCENARIOS, Scene, build

SVG = "{http://www.w3.org/2000/svg}"
DATED = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{2}( \d{2}:\d{2})?$")
CLOCK = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")


@pytest.fixture
def estate(estate: World) -> World:
    """The healthy estate (tests/conftest.py builds the world)."""
    return estate.healthy()


class Details(HTMLParser):
    """The text of each drop section's <dd class=...> (why, next-step, verdict), by drop."""

    def __init__(self) -> None:
        super().__init__()
        self.drops: dict[str, dict[str, str]] = {}
        self._drop = ""
        self._field: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("data-drop"):
            self._drop = str(a["data-drop"])
            self.drops[self._drop] = {}
        if tag == "dd" and self._drop:
            self._field = a.get("class") or "dd"
            self.drops[self._drop].setdefault(self._field, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "dd":
            self._field = None

    def handle_data(self, data: str) -> None:
        if self._field is not None:
            self.drops[self._drop][self._field] += data

    def feed_all(self, page: str) -> dict[str, dict[str, str]]:
        self.feed(page)
        self.close()
        return self.drops


def page_of(w: World, capsys: pytest.CaptureFixture[str], start: dt.datetime,
            end: dt.datetime) -> tuple[str, dict[str, Any]]:
    page = w.tmp / "triage.html"
    code = main(["triage", "--config-file", str(w.config_file), "--remote-ip", w.tunnel_ips()[0],
                 "--from", start.isoformat(), "--to", end.isoformat(), "--json",
                 "--html", str(page)])
    assert code == 0
    return page.read_text(encoding="utf-8"), json.loads(capsys.readouterr().out)


def short(w: World, capsys: pytest.CaptureFixture[str]) -> tuple[str, dict[str, Any]]:
    """Two hours around the scenarios' drop (T0 = now - 2 h), inside one UTC date or not."""
    return page_of(w, capsys, w.now - dt.timedelta(hours=2, minutes=30),
                   w.now - dt.timedelta(minutes=30))


def charts(page: str) -> list[ET.Element]:
    """Every inline SVG, parsed as XML (so each is well-formed)."""
    return [ET.fromstring(s) for s in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]


def ticks(svg: ET.Element) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{SVG}text") if t.get("class") == "tick"]


def xs_of(svg: ET.Element, cls: str) -> list[tuple[str, float]]:
    """(data-time or data-down, x) of the elements of a class."""
    out = []
    for el in svg.iter():
        if (el.get("class") or "").split()[:1] == [cls]:
            x = float(el.get("cx") or el.get("x") or 0)
            out.append((el.get("data-time") or el.get("data-down") or "", x))
    return out


def test_charts_scale_to_the_page_and_draw_nothing_outside(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    build(estate, "maintenance-failover")
    page, _ = short(estate, capsys)
    found = charts(page)
    assert [s.get("class") for s in found] == ["chart overview", "chart zoom"]
    assert re.search(r"svg\.chart\{[^}]*width:100%[^}]*height:auto", page)
    for svg in found:
        assert svg.get("width") == "100%" and svg.get("height") is None
        _, _, width, height = (float(v) for v in (svg.get("viewBox") or "").split())
        for el in svg.iter():
            for attr in ("x", "cx", "x1", "x2"):
                if el.get(attr) is not None:
                    assert 0 <= float(el.get(attr) or 0) <= width, ET.tostring(el)
            if el.tag == f"{SVG}rect" and el.get("x") is not None:
                assert float(el.get("x") or 0) + float(el.get("width") or 0) <= width + 0.1
            for attr in ("y", "cy", "y1", "y2"):
                if el.get(attr) is not None:
                    assert 0 <= float(el.get(attr) or 0) <= height, ET.tostring(el)


def test_ticks_of_a_short_range_are_clock_times_of_the_date_in_the_caption(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    build(estate, "same-instance")
    start = estate.now - dt.timedelta(hours=2, minutes=30)
    end = estate.now - dt.timedelta(minutes=30)
    page, _ = page_of(estate, capsys, start, end)
    overview = charts(page)[0]
    labels = ticks(overview)
    caption = next(t.text or "" for t in overview.iter(f"{SVG}text")
                   if t.get("class") == "caption")
    assert caption.startswith(start.astimezone(dt.UTC).strftime("%Y-%m-%d")) and "UTC" in caption
    if start.date() == end.date():
        assert labels and all(CLOCK.match(t) for t in labels), labels
    else:  # the two hours cross midnight UTC: the ticks are dated
        assert labels and all(DATED.match(t) for t in labels), labels


def test_a_drop_in_a_30_day_range_gets_dated_ticks_and_a_zoomed_panel(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    scene = build(estate, "maintenance-failover")
    page, data = page_of(estate, capsys, estate.now - dt.timedelta(days=29, hours=23),
                         estate.now - dt.timedelta(minutes=30))
    (drop,) = data["drops"]
    overview, zoom = charts(page)
    labels = ticks(overview)
    assert labels and all(DATED.match(t) for t in labels), labels
    assert all(CLOCK.match(t) for t in ticks(zoom)), ticks(zoom)  # seconds, on one date
    # the Azure end's down and its recovery on the other instance, from the fixture's rows
    down, up = tunnel_rows(estate, scene)
    for svg, spread in ((overview, False), (zoom, True)):
        bars = dict(xs_of(svg, "drop"))
        ups = dict(xs_of(svg, "up"))
        gap = ups[iso(up["TimeGenerated"])] - bars[iso(down["TimeGenerated"])]
        # 8 s is under one unit of 860 over 30 days; the zoomed panel spreads it out
        assert (gap > 60) if spread else (0 <= gap < 1), (svg.get("class"), gap)
    assert zoom.get("data-from", "") <= drop["time"]
    assert (zoom.get("data-to") or "") >= max(s["recovered"] for s in drop["sides"])


def tunnel_rows(w: World, scene: Scene) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scenario's Azure TunnelDisconnected and the next TunnelConnected of its remote IP."""
    rows = sorted((r for r in w.rows if r["Category"] == "TunnelDiagnosticLog"
                   and r.get("remoteIP_s") == scene.ip
                   and abs(r["TimeGenerated"] - scene.t0) < dt.timedelta(hours=1)),
                  key=lambda r: r["TimeGenerated"])
    down = next(r for r in rows if r["OperationName"] == "TunnelDisconnected")
    up = next(r for r in rows if r["OperationName"] == "TunnelConnected"
              and r["TimeGenerated"] > down["TimeGenerated"])
    return down, up


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_failover_states_its_rule_with_the_measured_numbers(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    scene = build(estate, "maintenance-failover")
    page, data = short(estate, capsys)
    down, up = tunnel_rows(estate, scene)
    maintenance = next(r for r in estate.rows if r.get("OperationName") == "HostMaintenanceEvent")
    back = int((up["TimeGenerated"] - down["TimeGenerated"]).total_seconds())
    before = int((down["TimeGenerated"] - maintenance["TimeGenerated"]).total_seconds())
    windows = alert_windows()
    why = Details().feed_all(page)["1"]["why"]
    instance = str(up["instance_s"]).removeprefix("GatewayTenantWorker_")  # IN_1
    assert (f"back on the other instance ({instance}) after {back} s, within the alert's "
            f"{int(windows.failover.total_seconds())} s FailoverSeconds") in why
    assert (f"HostMaintenanceEvent {before} s before the drop, within the alert's "
            f"{int(windows.maintenance.total_seconds())} s MaintenanceSeconds") in why
    assert data["drops"][0]["why"] == why


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_verdict_shows_its_rule_and_next_step(
        estate: World, capsys: pytest.CaptureFixture[str], scenario: str) -> None:
    build(estate, scenario)
    page, data = short(estate, capsys)
    sections = Details().feed_all(page)
    assert list(sections) == [str(n) for n in range(1, len(data["drops"]) + 1)]
    for n, drop in enumerate(data["drops"], start=1):
        shown = sections[str(n)]
        assert shown["verdict"] == drop["label"]
        assert shown["why"] == drop["why"] and re.search(r"\d+ (s|min)\b", drop["why"])
        assert shown["next-step"] == NEXT_STEPS[drop["verdict"]] == drop["next_step"]


def test_the_page_needs_no_script_for_its_content(tmp_path: Path) -> None:
    """Everything a reader needs is in the HTML as written: the one script only checks."""
    from gatewatch.live.triage.html import render_html
    from gatewatch.live.triage.model import AZURE, DOWN, UP, Event, Timeline
    from gatewatch.live.triage.verdicts import find_drops, judge

    t0 = dt.datetime(2026, 11, 27, 23, 59, 50, tzinfo=dt.UTC)  # across midnight
    events = [Event(t0, AZURE, DOWN, "TunnelDisconnected on IN_0", "q", "Azure GW IN_0", "IN_0"),
              Event(t0 + dt.timedelta(seconds=40), AZURE, UP, "TunnelConnected on IN_0", "q",
                    "Azure GW IN_0", "IN_0")]
    drops = find_drops(events)
    judge(drops, events)
    page = render_html(Timeline("198.51.100.2", t0 - dt.timedelta(hours=1),
                                t0 + dt.timedelta(hours=1), events, drops))
    without_script = re.sub(r"<script>.*?</script>", "", page, flags=re.S)
    shown = Details().feed_all(without_script)["1"]
    assert shown["why"].startswith("back on the same instance (IN_0) after 40 s")
    assert shown["next-step"] == NEXT_STEPS["same-instance-reconnect"]
    assert all(DATED.match(t) for t in ticks(charts(without_script)[0]))
