"""Configuration changes of one AWS tunnel, from CloudTrail, onto the timeline.

CloudTrail `LookupEvents` (read-only) takes one lookup attribute per call ("Currently the list
can contain only one item", the API's LookupAttributes), so the calls of
`gatewatch/aws/config_events.py` are looked up by EventName, one lookup each, and the records
are kept when their request names the connection. A lookup by ResourceName (the connection id)
would be one call, but which resources CloudTrail fills in for these EC2 calls is not
documented, and a lookup that silently finds nothing would read as "no change".

A call on this tunnel, or on the whole connection, is a CONFIG event (a cause the verdict rules
weigh); a call on the connection's other tunnel, or one that failed, is shown as a LOG event.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from gatewatch.aws import config_events
from gatewatch.live.readers import AwsReads
from gatewatch.live.sources import CLOUDTRAIL, Sources
from gatewatch.live.triage.model import AWS, CONFIG, LOG, Event

SOURCE = "CloudTrail LookupEvents"


def config_change_events(reader: AwsReads, vpn_id: str, tunnel_ip: str, start: dt.datetime,
                         end: dt.datetime, sources: list[str], boundary: Sources) -> list[Event]:
    """The tunnel's connection's configuration calls in [start, end]; SourceDown when
    CloudTrail cannot be read (refused, throttled past the retry, down or hanging)."""
    names = [c.name for c in config_events.CALLS]
    sources.append(f"{SOURCE} (EventName {', '.join(names)}) for {vpn_id}")
    events: list[Event] = []
    for name in names:
        found = boundary.call(CLOUDTRAIL, functools.partial(_lookup, reader, name, start, end))
        for item in found:
            change = config_events.parse(str(item.get("CloudTrailEvent") or "{}"),
                                         str(item.get("Username") or ""))
            if change is None or change.vpn_id != vpn_id:
                continue
            mine = change.explains(vpn_id, tunnel_ip)
            text = change.text() if mine or change.error else \
                f"{change.text()} (the other tunnel)"
            events.append(Event(change.time, AWS, CONFIG if mine else LOG, text, SOURCE,
                                f"AWS {vpn_id}"))
    return events


def _lookup(reader: AwsReads, name: str, start: dt.datetime,
            end: dt.datetime) -> list[dict[str, Any]]:
    return list(reader.lookup_events(name, start, end))
