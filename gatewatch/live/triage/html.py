"""`triage --html FILE`: one self-contained page for an incident ticket.

Inline SVG and CSS, no external script, font or image, and no script needed to read it: every
chart is an SVG with a viewBox drawn at the page's width (it scales from a phone to a wide
screen), every marker carries its own <title> (the browser's hover text). The page holds:

- an overview of the whole range: one lane per tunnel end (both clouds on one time axis), each
  drop a red bar on every end that logged it (hatched while still down), Azure maintenance
  and AWS Health events in amber and purple, and a shaded band per drop linking to its panel;
- per drop, a panel zoomed to its evidence with margins (a drop of seconds in a 30-day range
  is a few pixels in the overview), then its verdict, the rule that decided it with the
  measured numbers (`Drop.why`), the next step for its class (`Drop.next_step`), each end's
  own down and recovery, and the raw evidence lines.

Axes are UTC and say so; when a chart's range crosses a UTC date its ticks carry the date.
The timeline the page was drawn from is embedded as JSON (id="triage-data"); a few lines of
script, not needed for the content, check that every drop in it was drawn, that the page is no
wider than the window and that chart text is drawn at MIN_TEXT_PX or more, and log the result
to the console (the browser test reads it at 800 and 1,400 px).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Sequence

from gatewatch.live.triage.model import (
    DOWN,
    HEALTH,
    MAINTENANCE,
    RESET,
    UP,
    Drop,
    Event,
    Timeline,
    iso,
    span,
)
from gatewatch.live.triage.text import side_text

# The charts' coordinate system (viewBox units); the page draws it at 100% of its width.
VIEW_W, PAD, LANE_H, TOP, AXIS_H = 860, 14, 44, 30, 34
# A zoomed panel spans its drop's evidence plus this share of it either side (at least MIN_PAD).
MARGIN, MIN_PAD = 0.15, dt.timedelta(seconds=20)
# Tick steps (seconds), the first that gives at most MAX_TICKS ticks wins.
STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
         86400, 2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400, 28 * 86400)
MAX_TICKS = 8
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1180px;
padding:16px 2vw;color:#1b1f24;line-height:1.4}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:0 0 6px}
.sub{color:#555;margin:0 0 12px}
svg.chart{display:block;width:100%;height:auto;border:1px solid #d0d7de;background:#fff;
margin:6px 0 10px}
svg text{font-family:system-ui,-apple-system,"Segoe UI",sans-serif}
.lane-label{font-size:13px;fill:#1b1f24;paint-order:stroke;stroke:#fff;stroke-width:4px;
stroke-linejoin:round} .tick{font-size:12px;fill:#555}
.caption{font-size:12px;fill:#555} .grid{stroke:#eee} .lane-line{stroke:#d0d7de}
.drop{fill:#d1242f;opacity:.85} .start{stroke:#d1242f;stroke-dasharray:3 2}
.drop.still-down{fill:url(#hatch)}
.num{font-size:12px;font-weight:600;fill:#d1242f;paint-order:stroke;stroke:#fff;stroke-width:3px}
.zoom-band{fill:#d1242f;opacity:.12} .zoom-band:hover{opacity:.25}
.maintenance{fill:#bf8700} .health{fill:#8250df} .reset{fill:#cf222e}
.up{fill:#1a7f37} .evt{fill:#8c959f}
.azure{fill:#0969da} .aws{fill:#fb8500}
.legend span{display:inline-block;margin-right:14px;font-size:13px}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
section.drop-detail{border-top:2px solid #d0d7de;padding-top:12px;margin:18px 0 24px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 14px;margin:0;font-size:14px}
dt{font-weight:600;color:#444} dd{margin:0;min-width:0}
.verdict{font-weight:600} .why{background:#fff8c5;padding:2px 4px}
ul.raw{margin:0;padding-left:18px} ul.raw li{font-family:ui-monospace,SFMono-Regular,Menlo,
Consolas,monospace;font-size:12.5px;overflow-wrap:anywhere}
@media (max-width:640px){dl{grid-template-columns:1fr} dt{margin-top:6px}}
"""

# The smallest chart text the page's own check accepts, in CSS px (readable on a laptop).
MIN_TEXT_PX = 9

_JS = """
(function(){
  var MIN_TEXT_PX = %d;
  var data = JSON.parse(document.getElementById('triage-data').textContent);
  var numbers = {};
  document.querySelectorAll('svg.overview rect.drop').forEach(function(el){
    numbers[el.getAttribute('data-drop')] = true;
  });
  var drawn = Object.keys(numbers).length;
  document.body.setAttribute('data-drops-expected', String(data.drops.length));
  document.body.setAttribute('data-drops-drawn', String(drawn));
  /* the layout at this window's width: nothing wider than the window, chart text readable */
  var root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) {
    console.error('gatewatch-triage: the page is ' + root.scrollWidth + ' px wide in a ' +
                  root.clientWidth + ' px window');
  }
  document.querySelectorAll('svg.chart').forEach(function(svg){
    var label = svg.querySelector('text.tick, text.lane-label');
    if (!label) return;
    var scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    var px = parseFloat(getComputedStyle(label).fontSize) * scale;
    if (px < MIN_TEXT_PX) {
      console.error('gatewatch-triage: chart text drawn at ' + px.toFixed(1) + ' px');
    }
  });
  if (drawn !== data.drops.length) {
    console.error('gatewatch-triage: ' + drawn + ' drops drawn of ' + data.drops.length);
  } else {
    console.log('gatewatch-triage: rendered ' + drawn + ' drops');
  }
})();
"""

_HATCH = ('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
          'patternTransform="rotate(45)"><rect width="6" height="6" fill="#d1242f"/>'
          '<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern></defs>')

e = html.escape


class Axis:
    """One chart's time axis: [start, end] onto the viewBox's width."""

    def __init__(self, start: dt.datetime, end: dt.datetime) -> None:
        self.start, self.end = start, end
        self.span = max((end - start).total_seconds(), 1.0)

    def x(self, moment: dt.datetime) -> float:
        frac = min(max((moment - self.start).total_seconds() / self.span, 0.0), 1.0)
        return PAD + frac * (VIEW_W - 2 * PAD)

    def holds(self, moment: dt.datetime) -> bool:
        return self.start <= moment <= self.end

    @property
    def dated(self) -> bool:
        """Ticks carry the date when the range crosses a UTC date (or spans more than a day)."""
        return self.start.astimezone(dt.UTC).date() != self.end.astimezone(dt.UTC).date()

    def ticks(self) -> list[tuple[dt.datetime, str]]:
        step = next((s for s in STEPS if self.span / s <= MAX_TICKS), STEPS[-1])
        t = dt.datetime.fromtimestamp((self.start.timestamp() // step + 1) * step, tz=dt.UTC)
        out = []
        while t < self.end:
            out.append((t, self._label(t, step)))
            t += dt.timedelta(seconds=step)
        return out

    def _label(self, t: dt.datetime, step: int) -> str:
        clock = t.strftime("%H:%M:%S" if step < 60 else "%H:%M")
        if not self.dated:
            return clock
        day = f"{MONTHS[t.month - 1]} {t.day:02d}"
        return day if step >= 86400 else f"{day} {clock}"

    def caption(self) -> str:
        a, b = self.start.astimezone(dt.UTC), self.end.astimezone(dt.UTC)
        if not self.dated:
            return f"{a:%Y-%m-%d} {a:%H:%M:%S} to {b:%H:%M:%S} UTC ({span(self.span)})"
        return f"{a:%Y-%m-%d %H:%M} to {b:%Y-%m-%d %H:%M} UTC ({span(self.span)})"


def _lanes(events: Sequence[Event]) -> list[str]:
    lanes = list(dict.fromkeys(event.lane for event in events))
    return sorted(lanes, key=lambda lane: (not lane.startswith("Azure"), lane))


def _info(event: Event) -> str:
    return e(f"{iso(event.time)} {event.kind}: {event.text} [{event.source}]")


def _chart(cls: str, axis: Axis, lanes: list[str], events: Sequence[Event],
           drops: Sequence[tuple[int, Drop]], label: str, bands: bool = False) -> str:
    """One chart: lanes, ticks, events within the axis, the drops' bars and start lines, and
    (overview) a shaded band per drop over the span its zoomed panel shows, linking to it."""
    height = TOP + LANE_H * max(len(lanes), 1) + AXIS_H
    bottom = height - AXIS_H
    y = {lane: TOP + LANE_H * i + 30 for i, lane in enumerate(lanes)}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {cls}" '
             f'viewBox="0 0 {VIEW_W} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
             f'role="img" aria-label="{e(label)}" data-from="{iso(axis.start)}" '
             f'data-to="{iso(axis.end)}">', _HATCH,
             f'<text class="caption" x="{PAD}" y="18">{e(axis.caption())}</text>']
    for tick, text in axis.ticks():
        x = axis.x(tick)
        # a label near an edge is anchored to it, so it is never cut off
        half = 3.6 * len(text)  # half the label's width at the tick's font size
        anchor = ("start" if x - half < 2 else "end" if x + half > VIEW_W - 2 else "middle")
        lx = {"start": 2.0, "end": VIEW_W - 2.0}.get(anchor, x)
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{bottom}"/>')
        parts.append(f'<text class="tick" x="{lx:.1f}" y="{height - 12}" '
                     f'text-anchor="{anchor}" data-time="{iso(tick)}">{e(text)}</text>')
    if bands:
        for n, drop in drops:
            a, b = _window(drop, axis.start, axis.end)
            x0, x1 = axis.x(a), axis.x(b)
            width = max(x1 - x0, 8.0)
            parts.append(f'<a href="#drop-{n}"><rect class="zoom-band" data-drop="{n}" '
                         f'x="{(x0 + x1 - width) / 2:.1f}" y="{TOP}" width="{width:.1f}" '
                         f'height="{bottom - TOP}"><title>Drop {n}: zoomed below</title>'
                         '</rect></a>')
    for ly in y.values():
        parts.append(f'<line class="lane-line" x1="{PAD}" y1="{ly}" x2="{VIEW_W - PAD}" '
                     f'y2="{ly}"/>')
    for event in events:
        if not axis.holds(event.time) or event.lane not in y:
            continue
        x, ly = axis.x(event.time), y[event.lane]
        title = f"<title>{_info(event)}</title>"
        if event.kind in (MAINTENANCE, HEALTH, RESET):  # platform events: the whole height
            parts.append(f'<rect class="{event.kind}" x="{x - 2:.1f}" y="{TOP}" width="4" '
                         f'height="{bottom - TOP}" opacity="0.7" data-time="{iso(event.time)}">'
                         f'{title}</rect>')
        elif event.kind == UP:
            parts.append(f'<circle class="up" cx="{x:.1f}" cy="{ly}" r="4.5" '
                         f'data-time="{iso(event.time)}">{title}</circle>')
        elif event.kind != DOWN:
            parts.append(f'<circle class="evt" cx="{x:.1f}" cy="{ly}" r="3" '
                         f'data-time="{iso(event.time)}">{title}</circle>')
    for n, drop in drops:
        lanes_of = [y[d.event.lane] for d in drop.ends if d.event.lane in y]
        if not lanes_of:
            continue
        xs = axis.x(drop.first.time)
        parts.append(f'<line class="start" data-drop="{n}" x1="{xs:.1f}" '
                     f'y1="{min(lanes_of) - 10}" x2="{xs:.1f}" y2="{max(lanes_of) + 10}"/>')
        parts.append(f'<text class="num" x="{xs + 3:.1f}" y="{max(lanes_of) + 20}">{n}</text>')
        for side in drop.ends:
            x0 = axis.x(side.event.time)
            x1 = axis.x(side.recovered.time if side.recovered else axis.end)
            cls_ = "drop still-down" if side.recovered is None else "drop"
            info = e(f"Drop {n} ({side.event.cloud}) {side_text(side)}: {drop.label}")
            parts.append(f'<rect class="{cls_}" data-drop="{n}" data-cloud="{side.event.cloud}" '
                         f'x="{x0:.1f}" y="{y[side.event.lane] - 7}" '
                         f'width="{max(x1 - x0, 3):.1f}" height="14" '
                         f'data-down="{iso(side.event.time)}"><title>{info}</title></rect>')
    # lane names last, over the markers, on a white halo (.lane-label's stroke)
    for lane, ly in y.items():
        cloud = "azure" if lane.startswith("Azure") else "aws"
        parts.append(f'<rect class="{cloud}" x="{PAD}" y="{ly - 24}" width="5" height="13"/>')
        parts.append(f'<text class="lane-label" x="{PAD + 9}" y="{ly - 13}">{e(lane)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _window(drop: Drop, start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The span a drop's zoomed panel shows: its start, both ends' downs and recoveries and its
    evidence, with margins, inside the range; a drop still down shows up to the range's end or
    as much again as its evidence spans, whichever comes first."""
    times = [drop.first.time, *(d.event.time for d in drop.ends),
             *(d.recovered.time for d in drop.ends if d.recovered is not None),
             *(ev.time for ev in drop.evidence)]
    lo, hi = min(times), max(times)
    if drop.recovered is None:
        hi = max(hi, lo + dt.timedelta(minutes=2))
    pad = max((hi - lo) * MARGIN, MIN_PAD)
    return max(lo - pad, start), min(hi + pad, end)


def _detail(n: int, drop: Drop, timeline: Timeline) -> str:
    a, b = _window(drop, timeline.start, timeline.end)
    axis = Axis(a, b)
    events = [ev for ev in timeline.events if axis.holds(ev.time)]
    lanes = _lanes([*events, *(d.event for d in drop.ends)])
    chart = _chart("zoom", axis, lanes, events, [(n, drop)], f"drop {n}, zoomed")
    back = (f"back {iso(drop.recovered.time)}, {int(drop.down_seconds or 0)} s after the start"
            if drop.recovered else "not back by the end of the range")
    ends = "<br>".join(e(f"{d.event.cloud}: {side_text(d)}") for d in drop.ends)
    backs = {id(d.recovered) for d in drop.ends}
    evidence = "".join(f"<li>{e(f'{iso(ev.time)} {ev.lane}: {ev.text} [{ev.source}]')}</li>"
                       for ev in drop.evidence if id(ev) not in backs)
    first = drop.first
    return (f'<section class="drop-detail" id="drop-{n}" data-drop="{n}">'
            f'<h2>Drop {n}: <span class="verdict">{e(drop.label)}</span></h2>'
            f'<p class="sub">{e(iso(first.time))}, {e(back)}; seen from '
            f'{e(" and ".join(drop.clouds))}</p>{chart}<dl>'
            f'<dt>Verdict</dt><dd class="verdict">{e(drop.label)}</dd>'
            f'<dt>Why</dt><dd class="why">{e(drop.why)}</dd>'
            f'<dt>Next step</dt><dd class="next-step">{e(drop.next_step)}</dd>'
            f'<dt>Start</dt><dd>{e(iso(first.time))} {e(first.lane)}: {e(first.text)} '
            f'[{e(first.source)}] (earliest evidence, either side)</dd>'
            f'<dt>Each end</dt><dd>{ends}</dd>'
            f'<dt>Evidence</dt><dd>{f"<ul class=raw>{evidence}</ul>" if evidence else "—"}</dd>'
            '</dl></section>')


def render_html(timeline: Timeline) -> str:
    start, end = timeline.start, timeline.end
    numbered = list(enumerate(timeline.drops, start=1))
    overview = _chart("overview", Axis(start, end), _lanes(timeline.events), timeline.events,
                      numbered, "timeline of the whole range", bands=True)
    details = "".join(_detail(n, drop, timeline) for n, drop in numbered) or \
        "<p>No drops in this range.</p>"
    notes = "".join(f"<li>{e(n)}</li>" for n in timeline.notes)
    sources = "".join(f"<li><code>{e(s)}</code></li>" for s in dict.fromkeys(timeline.queries))
    data = json.dumps(timeline.as_json()).replace("</", "<\\/")
    legend = ('<p class="legend"><span><i class="sw" style="background:#0969da"></i>Azure</span>'
              '<span><i class="sw" style="background:#fb8500"></i>AWS</span>'
              '<span><i class="sw" style="background:#d1242f"></i>drop (hatched: still down; '
              'dashed: its start)</span><span><i class="sw" style="background:#1a7f37"></i>'
              'reconnect</span><span><i class="sw" style="background:#bf8700"></i>Azure '
              'maintenance</span><span><i class="sw" style="background:#8250df"></i>AWS Health'
              '</span></p>')
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>gatewatch triage {e(timeline.remote_ip)}</title><style>{_packed(_CSS)}</style>"
            "</head><body>"
            f"<h1>Tunnel {e(timeline.remote_ip)}: {len(timeline.drops)} drop(s)</h1>"
            f'<p class="sub">{e(iso(start))} to {e(iso(end))} (UTC), Azure and AWS on one time '
            "axis; each drop is zoomed below</p>" + legend + overview + details
            + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
            + f"<h2>Sources</h2><ul>{sources}</ul>"
            + f'<script type="application/json" id="triage-data">{data}</script>'
            + f"<script>{_packed(_JS % MIN_TEXT_PX)}</script></body></html>")


def _packed(code: str) -> str:
    """CSS or script on one line (neither holds a // comment): a smaller page."""
    return " ".join(line.strip() for line in code.splitlines() if line.strip())
