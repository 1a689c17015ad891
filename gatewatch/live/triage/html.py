"""`triage --html FILE`: one self-contained page for an incident ticket.

Inline SVG, CSS and a few lines of JS only (no external script, font or image): both clouds
on one time axis, one lane per tunnel end, each drop drawn as a red bar on every end that
logged it, from that end's down to its recovery (to the end of the range when still down),
with a dashed line at the outage's start (its earliest evidence, either side), maintenance
and Health events as amber markers, and every verdict written out as text under the chart,
with each end's own down and recovery times. The data the page was drawn from is embedded as
JSON (id="triage-data"); the script only adds hover details and checks that every drop in the
data was drawn (one number per drop, however many ends), logging the count to the console.
"""

from __future__ import annotations

import datetime as dt
import html
import json

from gatewatch.live.triage.model import DOWN, HEALTH, MAINTENANCE, UP, Timeline, iso, side_text

WIDTH, LEFT, RIGHT, LANE_H, TOP = 1100, 230, 20, 44, 40

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1b1f24}
h1{font-size:20px;margin:0 0 4px} .sub{color:#555;margin:0 0 16px}
svg{border:1px solid #d0d7de;background:#fff} .lane-label{font-size:12px}
.axis{font-size:11px;fill:#555} .grid{stroke:#eee} .lane-line{stroke:#d0d7de}
.drop{fill:#d1242f;opacity:.85} .start{stroke:#d1242f;stroke-dasharray:3 2}
.drop.still-down{fill:url(#hatch)}
.maintenance{fill:#bf8700} .health{fill:#8250df} .up{fill:#1a7f37} .evt{fill:#8c959f}
.azure{fill:#0969da} .aws{fill:#fb8500}
table{border-collapse:collapse;margin-top:16px;font-size:13px}
td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa} .verdict{font-weight:600} .ev{color:#444;font-size:12px}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
"""

_JS = """
(function(){
  var data = JSON.parse(document.getElementById('triage-data').textContent);
  var numbers = {};
  document.querySelectorAll('svg rect.drop').forEach(function(el){
    numbers[el.getAttribute('data-drop')] = true;
  });
  var drawn = Object.keys(numbers).length;
  document.body.setAttribute('data-drops-expected', String(data.drops.length));
  document.body.setAttribute('data-drops-drawn', String(drawn));
  document.querySelectorAll('svg [data-info]').forEach(function(el){
    var t = document.createElementNS('http://www.w3.org/2000/svg', 'title');
    t.textContent = el.getAttribute('data-info');
    el.appendChild(t);
  });
  if (drawn !== data.drops.length) {
    console.error('gatewatch-triage: ' + drawn + ' drops drawn of ' + data.drops.length);
  } else {
    console.log('gatewatch-triage: rendered ' + drawn + ' drops');
  }
})();
"""


def _x(moment: dt.datetime, start: dt.datetime, end: dt.datetime) -> float:
    span = max((end - start).total_seconds(), 1.0)
    frac = min(max((moment - start).total_seconds() / span, 0.0), 1.0)
    return LEFT + frac * (WIDTH - LEFT - RIGHT)


def _ticks(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    span = (end - start).total_seconds()
    step = next(s for s in (60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400, 172800)
                if span / s <= 12) if span <= 172800 * 12 else span / 12
    first = dt.datetime.fromtimestamp((start.timestamp() // step + 1) * step, tz=dt.UTC)
    out = []
    t = first
    while t < end:
        out.append(t)
        t += dt.timedelta(seconds=step)
    return out


def render_html(timeline: Timeline) -> str:
    start, end = timeline.start, timeline.end
    lanes: list[str] = []
    for event in timeline.events:
        if event.lane not in lanes:
            lanes.append(event.lane)
    lanes.sort(key=lambda lane: (not lane.startswith("Azure"), lane))
    height = TOP + LANE_H * max(len(lanes), 1) + 30
    y = {lane: TOP + LANE_H * i + LANE_H // 2 for i, lane in enumerate(lanes)}
    e = html.escape
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             f'role="img" aria-label="timeline">',
             '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(45)"><rect width="6" height="6" fill="#d1242f"/>'
             '<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern>'
             '</defs>']
    for tick in _ticks(start, end):
        x = _x(tick, start, end)
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" '
                     f'y2="{height - 24}"/>')
        parts.append(f'<text class="axis" x="{x:.1f}" y="{height - 10}" text-anchor="middle">'
                     f'{tick.strftime("%H:%M")}</text>')
    parts.append(f'<text class="axis" x="{LEFT}" y="20">{e(iso(start))}</text>')
    parts.append(f'<text class="axis" x="{WIDTH - RIGHT}" y="20" text-anchor="end">'
                 f'{e(iso(end))} (UTC)</text>')
    for lane, ly in y.items():
        cloud = "azure" if lane.startswith("Azure") else "aws"
        parts.append(f'<rect class="{cloud}" x="8" y="{ly - 6}" width="6" height="12"/>')
        parts.append(f'<text class="lane-label" x="20" y="{ly + 4}">{e(lane)}</text>')
        parts.append(f'<line class="lane-line" x1="{LEFT}" y1="{ly}" x2="{WIDTH - RIGHT}" '
                     f'y2="{ly}"/>')
    for event in timeline.events:
        x = _x(event.time, start, end)
        ly = y[event.lane]
        info = e(f"{iso(event.time)} {event.kind}: {event.text} [{event.source}]")
        if event.kind in (MAINTENANCE, HEALTH):
            parts.append(f'<rect class="{event.kind}" x="{x - 2:.1f}" y="{TOP - 8}" width="4" '
                         f'height="{height - TOP - 16}" opacity="0.7" data-info="{info}"/>')
        elif event.kind == UP:
            parts.append(f'<circle class="up" cx="{x:.1f}" cy="{ly}" r="4" data-info="{info}"/>')
        elif event.kind != DOWN:
            parts.append(f'<circle class="evt" cx="{x:.1f}" cy="{ly}" r="2.5" '
                         f'data-info="{info}"/>')
    for n, drop in enumerate(timeline.drops, start=1):
        lanes_of = [y[d.event.lane] for d in drop.ends]
        xs = _x(drop.first.time, start, end)
        parts.append(f'<line class="start" data-drop="{n}" x1="{xs:.1f}" '
                     f'y1="{min(lanes_of) - 12}" x2="{xs:.1f}" y2="{max(lanes_of) + 12}"/>')
        parts.append(f'<text class="axis" x="{xs:.1f}" y="{min(lanes_of) - 14}">{n}</text>')
        for side in drop.ends:
            x0 = _x(side.event.time, start, end)
            x1 = _x(side.recovered.time if side.recovered else end, start, end)
            ly = y[side.event.lane]
            cls = "drop still-down" if side.recovered is None else "drop"
            info = e(f"Drop {n} ({side.event.cloud}) down {iso(side.event.time)}: {drop.label}")
            parts.append(f'<rect class="{cls}" data-drop="{n}" data-cloud="{side.event.cloud}" '
                         f'x="{x0:.1f}" y="{ly - 9}" width="{max(x1 - x0, 3):.1f}" height="18" '
                         f'data-info="{info}"/>')
    parts.append("</svg>")

    rows = []
    for n, drop in enumerate(timeline.drops, start=1):
        back = (f"back at {iso(drop.recovered.time)} ({int(drop.down_seconds or 0)} s)"
                if drop.recovered else "not back by the end of the range")
        ends = "<br>".join(e(f"{d.event.cloud}: {side_text(d)}") for d in drop.ends)
        backs = {id(d.recovered) for d in drop.ends}
        evidence = "<br>".join(
            e(f"{iso(ev.time)} {ev.lane}: {ev.text} [{ev.source}]")
            for ev in drop.evidence if id(ev) not in backs) or "—"
        first = drop.first
        rows.append(f'<tr data-drop="{n}"><td>{n}</td><td>{e(iso(first.time))}<br>'
                    f'<span class="ev">{e(f"{first.lane}: {first.text}")}</span></td>'
                    f'<td>{ends}</td><td class="verdict">{e(drop.label)}</td>'
                    f'<td>{e(back)}</td><td class="ev">{evidence}</td></tr>')
    table = ('<table><tr><th>#</th><th>Start (UTC, earliest evidence)</th>'
             '<th>Each end (down, recovery)</th><th>Verdict</th>'
             '<th>Recovery (both ends)</th><th>Evidence</th></tr>' + "".join(rows) + "</table>"
             if rows else "<p>No drops in this range.</p>")
    notes = "".join(f"<li>{e(n)}</li>" for n in timeline.notes)
    sources = "".join(f"<li><code>{e(s)}</code></li>" for s in dict.fromkeys(timeline.queries))
    data = json.dumps(timeline.as_json()).replace("</", "<\\/")
    legend = ('<p class="legend"><span><i class="sw" style="background:#0969da"></i>Azure</span>'
              '<span><i class="sw" style="background:#fb8500"></i>AWS</span>'
              '<span><i class="sw" style="background:#d1242f"></i>drop (hatched: still down)'
              '</span><span><i class="sw" style="background:#1a7f37"></i>reconnect</span>'
              '<span><i class="sw" style="background:#bf8700"></i>Azure maintenance</span>'
              '<span><i class="sw" style="background:#8250df"></i>AWS Health</span></p>')
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>gatewatch triage {e(timeline.remote_ip)}</title><style>{_CSS}</style>"
            "</head><body>"
            f"<h1>Tunnel {e(timeline.remote_ip)}: {len(timeline.drops)} drop(s)</h1>"
            f'<p class="sub">{e(iso(start))} to {e(iso(end))}, Azure and AWS on one time axis'
            "</p>" + legend + "".join(parts) + table
            + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
            + f"<h2>Sources</h2><ul>{sources}</ul>"
            + f'<script type="application/json" id="triage-data">{data}</script>'
            + f"<script>{_JS}</script></body></html>")
