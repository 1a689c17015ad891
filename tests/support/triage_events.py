"""Plain triage events for the verdict and outage tests: one Azure gateway (two instances) and
one AWS tunnel of the same outage, at seconds from a fixed moment."""

from __future__ import annotations

import datetime as dt

from gatewatch.live.triage.model import AWS, AZURE, MAINTENANCE, Drop, Event
from gatewatch.live.triage.outages import merge
from gatewatch.live.triage.verdicts import find_drops, judge

T0 = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def azure(kind: str, seconds: float, instance: str) -> Event:
    return Event(at(seconds), AZURE, kind, kind, "queries/tunnel-history.yaml",
                 f"Azure VPNGW01 {instance}", instance)


def platform(seconds: float, operation: str) -> Event:
    return Event(at(seconds), AZURE, MAINTENANCE, f"{operation}: {operation}",
                 "queries/gateway-diagnostic-log.yaml", "Azure VPNGW01")


AWS_LANE = "AWS vpn-1 198.51.100.2"


def aws(kind: str, seconds: float, text: str) -> Event:
    return Event(at(seconds), AWS, kind, text, "tunnel log", AWS_LANE)


def outages(events: list[Event]) -> list[Drop]:
    drops = find_drops(events)
    judge(drops, events)
    return merge(drops, events)
