"""The triage timeline as plain data (no clients, no I/O): events, drops, the verdict classes
and their labels, and the windows the rules read.

A drop is a tunnel going down as one cloud logged it: an Azure TunnelDisconnected row, or an
AWS tunnel-log event that is a Down phase 2 state, a DPD timeout or a delete (Rekeying and
Negotiating are not drops; `collect.aws_tunnel_events`). AWS messages are read through the one
vocabulary table, `gatewatch/aws/tunnel_log_vocabulary.py` (AWS "Contents of Site-to-Site VPN
logs", https://docs.aws.amazon.com/vpn/latest/s2svpn/log-contents.html).
`verdicts.py` gives each drop its verdict and the rule behind it, `outages.py` makes one drop
per outage from both clouds, `text.py` prints the report and `html.py` draws the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

AZURE, AWS = "azure", "aws"

# Event kinds on the timeline.
DOWN, UP, MAINTENANCE, IKE, BGP, CONFIG, HEALTH, LOG = (
    "down", "up", "maintenance", "ike", "bgp", "config", "health", "log")
RESET = "reset"  # a gateway reset from the Azure Activity log (triage/resets.py)

# Verdict classes.
IKE_PSK = "ike-psk-mismatch"
IKE_PROPOSAL = "ike-proposal-mismatch"
IKE_TRAFFIC_SELECTOR = "ike-traffic-selector-mismatch"
IKE_AUTH = "ike-authentication-failed"
IKE_PHASE2 = "ike-phase2-failure"
IKE_TIMEOUT = "ike-phase1-timeout"
IKE_OTHER = "ike-failure"
PEER_DELETE = "peer-delete"
ENDPOINT_REPLACEMENT = "aws-endpoint-replacement"
CONFIG_CHANGED = "tunnel-configuration-changed"
MAINTENANCE_FAILOVER = "gateway-failover-maintenance"
GATEWAY_RESET = "gateway-reset"
FAILOVER = "gateway-failover"
DPD_TIMEOUT = "dpd-timeout"
SAME_INSTANCE = "same-instance-reconnect"
STILL_DOWN = "still-down"
RECONNECTED = "reconnected"

LABELS = {
    IKE_PSK: "IKE failure: pre-shared key mismatch",
    IKE_PROPOSAL: "IKE failure: proposal mismatch",
    IKE_TRAFFIC_SELECTOR: "IKE failure: traffic selector not accepted (TS_UNACCEPTABLE)",
    IKE_AUTH: "IKE failure: authentication failed",
    IKE_PHASE2: "IKE failure: phase 2 could not be established",
    IKE_TIMEOUT: "IKE failure: phase 1 not established in time",
    IKE_OTHER: "IKE failure",
    PEER_DELETE: "Deleted by the peer (IKE SA DELETE from the customer gateway)",
    ENDPOINT_REPLACEMENT: "AWS endpoint replacement",
    CONFIG_CHANGED: "Tunnel configuration changed",
    MAINTENANCE_FAILOVER: "Gateway failover for maintenance",
    GATEWAY_RESET: "Gateway reset",
    FAILOVER: "Gateway failover (cause: planned maintenance or a reset)",
    DPD_TIMEOUT: "DPD timeout",
    SAME_INSTANCE: "Same-instance reconnect (network or on-premises device)",
    STILL_DOWN: "Still down",
    RECONNECTED: "Reconnected (no cause in the logs)",
}

# How far from a drop evidence still counts. Microsoft's troubleshooting article: a failover
# reconnects "a few seconds" later. The failover and maintenance windows are the kit's
# tunnel-drop alert's own tunables (FailoverSeconds, MaintenanceSeconds), read from
# alerts/tunnel-drop.yaml by
# `collect.alert_windows()`; these defaults only serve callers without the catalog.
# IKE retries every few seconds around a failure: ten minutes either side holds them.
FAILOVER_WINDOW = dt.timedelta(seconds=60)
MAINTENANCE_WINDOW = dt.timedelta(hours=1)
EVIDENCE_WINDOW = dt.timedelta(minutes=10)
# A configuration change explains a drop that starts up to this long after it: the stack's
# gatewatch:aws.tunnelUpTimeoutMinutes (default 15), how long the kit's own rollout waits for a
# tunnel to come back UP after the same ModifyVpnTunnelOptions call (run.py reads it). EC2
# applies a change after the call returns and AWS exports tunnel logs every 5 minutes, so the
# AWS end's Down is minutes later; a drop starting later than the rollout would wait is not
# that change's outage. CloudTrail's eventTime is when the request completed and the Azure
# rows carry the gateway's clock: CONFIG_SKEW lets a change be logged just after the drop.
CONFIG_WINDOW = dt.timedelta(minutes=15)
CONFIG_SKEW = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Windows:
    failover: dt.timedelta = FAILOVER_WINDOW
    maintenance: dt.timedelta = MAINTENANCE_WINDOW
    config: dt.timedelta = CONFIG_WINDOW


DEFAULT_WINDOWS = Windows()


# The most specific IKE cause near a drop wins.
IKE_VERDICTS = (IKE_PSK, IKE_PROPOSAL, IKE_TRAFFIC_SELECTOR, IKE_AUTH, IKE_PHASE2, IKE_TIMEOUT,
                IKE_OTHER)


@dataclass(frozen=True)
class Event:
    time: dt.datetime
    cloud: str
    kind: str
    text: str
    source: str  # the saved query, alert, log stream or API it came from
    lane: str  # "Azure VPNGW01 IN_0", "AWS vpn-... 198.51.100.2"
    instance: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"time": iso(self.time), "cloud": self.cloud, "kind": self.kind,
                "text": self.text, "source": self.source, "lane": self.lane,
                "instance": self.instance}


@dataclass
class Drop:
    """One outage. `find_drops` and `judge` make one per cloud that logged it; `merge` pairs
    the two ends' drops of one outage into one, keeping each end's own drop in `sides`.

    For a merged drop `event` is the earliest end's down, `recovered` the later end's
    recovery (None while either end has not logged it back), and `start` the earliest evidence
    of the outage on either side (`START_EVIDENCE`), which may precede both downs."""

    event: Event
    recovered: Event | None
    verdict: str = STILL_DOWN
    still_down: bool = False
    evidence: list[Event] = field(default_factory=list)
    sides: list[Drop] = field(default_factory=list)
    start: Event | None = None
    why: str = ""  # the rule that decided the verdict, with the measured numbers (`judge`)

    @property
    def ends(self) -> list[Drop]:
        """Each cloud's own drop: both ends of a merged drop, or this drop."""
        return self.sides or [self]

    @property
    def first(self) -> Event:
        """The earliest evidence of the outage (its start)."""
        return self.start or self.event

    @property
    def clouds(self) -> list[str]:
        return [d.event.cloud for d in self.ends]

    @property
    def label(self) -> str:
        text = LABELS[self.verdict]
        if self.still_down and self.verdict != STILL_DOWN:
            text += " (still down)"
        return text

    @property
    def next_step(self) -> str:
        """What to do about this class of drop (the table in next_steps.py)."""
        from gatewatch.live.triage.next_steps import next_step  # it imports the classes here

        return next_step(self.verdict)

    @property
    def down_seconds(self) -> float | None:
        if self.recovered is None:
            return None
        return (self.recovered.time - self.first.time).total_seconds()

    def side_json(self) -> dict[str, Any]:
        """This end's own down and recovery."""
        return {"cloud": self.event.cloud, "lane": self.event.lane,
                "instance": self.event.instance, "down": iso(self.event.time),
                "down_text": self.event.text, "verdict": self.verdict, "why": self.why,
                "recovered": iso(self.recovered.time) if self.recovered else None,
                "recovered_instance": self.recovered.instance if self.recovered else None,
                "down_seconds": (None if self.recovered is None else
                                 (self.recovered.time - self.event.time).total_seconds())}

    def as_json(self) -> dict[str, Any]:
        return {"time": iso(self.first.time), "start": self.first.as_json(),
                "clouds": self.clouds,
                "verdict": self.verdict, "label": self.label, "still_down": self.still_down,
                "why": self.why, "next_step": self.next_step,
                "recovered": iso(self.recovered.time) if self.recovered else None,
                "down_seconds": self.down_seconds,
                "sides": [d.side_json() for d in self.ends],
                "evidence": [e.as_json() for e in self.evidence]}


@dataclass
class Timeline:
    remote_ip: str
    start: dt.datetime
    end: dt.datetime
    events: list[Event]
    drops: list[Drop]
    notes: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"remote_ip": self.remote_ip, "from": iso(self.start), "to": iso(self.end),
                "drops": [d.as_json() for d in self.drops],
                "events": [e.as_json() for e in self.events],
                "notes": self.notes, "sources": self.queries}


def utc(value: Any) -> dt.datetime:
    """A datetime or ISO 8601 text (a trailing Z allowed) as an aware UTC datetime; a naive
    value is taken as UTC."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert isinstance(value, dt.datetime)
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def span(seconds: float) -> str:
    """A duration as a reader says it: 11 s, 4 min, 3 h, 2 d."""
    s = abs(seconds)
    for unit, size, limit in (("s", 1, 120), ("min", 60, 7200), ("h", 3600, 172800)):
        if s < limit:
            return f"{round(s / size)} {unit}"
    return f"{round(s / 86400)} d"


def cloud_name(cloud: str) -> str:
    return {AZURE: "Azure", AWS: "AWS"}.get(cloud, cloud)


# GatewayDiagnosticLog's OperationName for a change of the active instance: collected with the
# maintenance rows (a platform event on the gateway), but not maintenance by itself.
PRIMARY_CHANGED = "GatewayTenantPrimaryChanged"


def is_primary_change(event: Event) -> bool:
    return event.cloud == AZURE and event.text.startswith(PRIMARY_CHANGED)
