"""The merged timeline and the verdicts, as plain data (no clients, no I/O).

A drop is a tunnel going down as one cloud logged it: an Azure TunnelDisconnected row, or an
AWS tunnel-log event that is a Down phase 2 state, a DPD timeout or a delete (Rekeying and
Negotiating are not drops; `collect.aws_tunnel_events`). AWS messages are read through the one
vocabulary table, `gatewatch/aws/tunnel_log_vocabulary.py` (AWS "Contents of Site-to-Site VPN
logs", https://docs.aws.amazon.com/vpn/latest/s2svpn/log-contents.html). Its verdict is read from
the evidence around it, in this order (the first that applies wins; "still down" is added to
any verdict when the tunnel had not come back by the end of the range):

1. IKE failure: an IKE record naming a failed negotiation near the drop. Pre-shared key
   mismatch (AWS's documented pre-shared key messages, Azure's IKEv2 AUTHENTICATION_FAILED),
   proposal mismatch (AWS "No Proposal Match Found", NO_PROPOSAL_CHOSEN), and AWS's traffic
   selector, authentication, phase 2 and phase 1 timeout messages, in that order; the other
   Azure IKEv2 failures come from the kit's ike-negotiation-failure alert (its FailurePattern
   tunable).
2. AWS endpoint replacement: an AWS Health scheduled change for the VPN connection starting
   near the drop (AWS replaces tunnel endpoints for maintenance and notifies through Health;
   AWS knowledge center "vpn-tunnel-endpoint-replacement"), or the tunnel's
   LastMaintenanceApplied (EC2 GetVpnTunnelReplacementStatus) near the drop.
3. Tunnel configuration changed: a change to the tunnel or its connection logged up to
   `Windows.config` before the drop: AWS's ModifyVpnTunnelOptions, ModifyVpnTunnelCertificate
   and ReplaceVpnTunnel on this tunnel, ModifyVpnConnection and ModifyVpnConnectionOptions on
   its connection (CloudTrail, `changes.py`; who, when and which call are the evidence), or
   Azure's SetGatewayConfiguration / SetConnectionConfiguration on the tunnel's gateway.
   "Configuration changes are audited in the GatewayDiagnosticLog table" ("Troubleshoot Azure
   VPN Gateway using diagnostic logs"); AWS: "The modified tunnel is unavailable during the
   update" (ModifyVpnTunnelOptions, Site-to-Site VPN tunnel options).
4. Gateway failover for maintenance: the tunnel came back on the *other* gateway instance
   within seconds, with a HostMaintenanceEvent near the drop. Without one it is a failover
   whose cause the logs do not name: Microsoft's "Troubleshoot Azure VPN Gateway using
   diagnostic logs" says such a failover "is usually an expected behavior due to maintenance
   on a gateway instance" and that "The same behavior will be observed if you intentionally
   run a Gateway Reset on the Azure side", and lists "primary changes" apart from
   "maintenance events" in GatewayDiagnosticLog. So a GatewayTenantPrimaryChanged row is
   evidence of the failover, not of maintenance: "Gateway failover (cause: planned
   maintenance or a reset)".
5. DPD timeout: a dead-peer-detection timeout logged near the drop, by either side.
   Then, for an AWS drop, peer delete: AWS logged the customer gateway deleting the IKE SA
   (an Azure drop near it that the Azure instances explain gives its verdict instead).
6. Same-instance reconnect: back on the same instance with none of the above; the same article: look
   at the network or the on-premises device.
7. Still down: not back by the end of the range, no cause in the logs.

`judge` writes, with the verdict, the rule that decided it as one sentence with the measured
numbers (`Drop.why`: "back on the other instance (IN_1) after 11 s, within the alert's 60 s
FailoverSeconds; HostMaintenanceEvent 4 min before the drop, ..."); the next step per verdict
class is data (`next_steps.py`). Text, JSON and the page all print both.

One outage is one drop (`merge`, after `judge`): the Azure and AWS drops of the tunnel whose
down intervals overlap, or that start within `SAME_OUTAGE` of each other, become one drop with
each end's own drop in `Drop.sides`, one verdict (the order above over both ends' verdicts) and
both ends' evidence. Every drop starts at its earliest evidence on either side (`Drop.first`):
a BGP Cease or BGP down, a DPD timeout, a TunnelDisconnected, an AWS Down state.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from gatewatch.aws import tunnel_log_vocabulary as vocabulary

AZURE, AWS = "azure", "aws"

# Event kinds on the timeline.
DOWN, UP, MAINTENANCE, IKE, BGP, CONFIG, HEALTH, LOG = (
    "down", "up", "maintenance", "ike", "bgp", "config", "health", "log")

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

PSK_PATTERN = re.compile(r"pre-shared key mismatch|AUTHENTICATION_FAILED", re.IGNORECASE)
PROPOSAL_PATTERN = re.compile(r"NO_PROPOSAL_CHOSEN|proposal mismatch|no proposal chosen",
                              re.IGNORECASE)
DPD_PATTERN = re.compile(r"\bDPD\b.*\b(time ?out|timed out|expired)|dead peer", re.IGNORECASE)

# The verdict each class of the AWS vocabulary points at.
FROM_VOCABULARY = {
    vocabulary.IKE_PSK: IKE_PSK,
    vocabulary.IKE_PROPOSAL: IKE_PROPOSAL,
    vocabulary.IKE_TRAFFIC_SELECTOR: IKE_TRAFFIC_SELECTOR,
    vocabulary.IKE_AUTH: IKE_AUTH,
    vocabulary.IKE_PHASE2: IKE_PHASE2,
    vocabulary.IKE_TIMEOUT: IKE_TIMEOUT,
    vocabulary.DPD_TIMEOUT: DPD_TIMEOUT,
    vocabulary.PEER_DELETE: PEER_DELETE,
}
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


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def span(seconds: float) -> str:
    """A duration as a reader says it: 11 s, 4 min, 3 h, 2 d."""
    s = abs(seconds)
    for unit, size, limit in (("s", 1, 120), ("min", 60, 7200), ("h", 3600, 172800)):
        if s < limit:
            return f"{round(s / size)} {unit}"
    return f"{round(s / 86400)} d"


def _when(event: Event, moment: dt.datetime) -> str:
    """Where an event lies from a moment: "30 s before", "4 min after", "at"."""
    d = (event.time - moment).total_seconds()
    return "at" if abs(d) < 0.5 else f"{span(d)} {'before' if d < 0 else 'after'}"


def _cloud(cloud: str) -> str:
    return {AZURE: "Azure", AWS: "AWS"}.get(cloud, cloud)


def _quote(event: Event) -> str:
    text = event.text if len(event.text) <= 90 else event.text[:87] + "..."
    return f'"{text}"'


# GatewayDiagnosticLog's OperationName for a change of the active instance: collected with the
# maintenance rows (a platform event on the gateway), but not maintenance by itself.
PRIMARY_CHANGED = "GatewayTenantPrimaryChanged"


def is_primary_change(event: Event) -> bool:
    return event.cloud == AZURE and event.text.startswith(PRIMARY_CHANGED)


def _near(event: Event, moment: dt.datetime, before: dt.timedelta, after: dt.timedelta) -> bool:
    return moment - before <= event.time <= moment + after


def cause(event: Event, extra: re.Pattern[str] | None = None) -> str | None:
    """The verdict one event points at: an AWS event through the vocabulary table, then the
    Azure-side IKE terms (IKE and log records), the alert's FailurePattern (IKE records) and
    a DPD timeout in any words."""
    if event.cloud == AWS:
        found = vocabulary.classify(event.text)
        if found is not None:
            return FROM_VOCABULARY[found]
    if event.kind in (IKE, LOG):
        if PSK_PATTERN.search(event.text):
            return IKE_PSK
        if PROPOSAL_PATTERN.search(event.text):
            return IKE_PROPOSAL
    if extra is not None and event.kind == IKE and extra.search(event.text):
        return IKE_OTHER
    if DPD_PATTERN.search(event.text):
        return DPD_TIMEOUT
    return None


def find_drops(events: Sequence[Event], windows: Windows = Windows()) -> list[Drop]:
    """Pair each down with the next up of the same tunnel (cloud, gateway or connection).

    Azure: the up may be on either instance (a failover comes back on the other one), except
    that an active-active gateway keeps one tunnel per instance: a connect on the other
    instance after that instance's own disconnect (from the failover window before ours on) is its
    own tunnel coming back, not ours, as the kit's tunnel-drop alert reads it (OtherOwnDrop).
    """
    drops: list[Drop] = []
    ordered = sorted(events, key=lambda e: e.time)
    for i, event in enumerate(ordered):
        if event.kind != DOWN:
            continue
        key = _tunnel_key(event)
        recovered = None
        other_dropped = False
        for later in ordered[:i] + ordered[i + 1:]:
            if _tunnel_key(later) != key or later.time < event.time - windows.failover:
                continue
            other = event.cloud == AZURE and later.instance != event.instance
            if later.kind == DOWN and other:
                other_dropped = other_dropped or later.time >= event.time - windows.failover
            if later.time < event.time or later.kind != UP:
                continue
            if other and other_dropped:
                continue
            recovered = later
            break
        drops.append(Drop(event, recovered))
    return drops


def _tunnel_key(event: Event) -> tuple[str, str]:
    # Azure lanes carry the instance; the tunnel is the gateway + remote IP, either instance.
    return event.cloud, event.lane.rsplit(" IN_", 1)[0]


def judge(drops: Sequence[Drop], events: Sequence[Event],
          ike_failure_pattern: re.Pattern[str] | None = None,
          windows: Windows = Windows()) -> None:
    """Give every drop its verdict and the evidence it rests on (see the module docstring)."""
    for drop in drops:
        t = drop.event.time
        until = drop.recovered.time if drop.recovered else t + EVIDENCE_WINDOW
        nearby = [e for e in events if e is not drop.recovered
                  and _near(e, t, EVIDENCE_WINDOW, max(until - t, dt.timedelta()) +
                            dt.timedelta(seconds=1))]
        platform = [e for e in events if e.kind == MAINTENANCE
                    and _near(e, t, windows.maintenance, windows.maintenance)]
        maintenance = [e for e in platform if not is_primary_change(e)]
        primary = [e for e in platform if is_primary_change(e)
                   and _near(e, t, EVIDENCE_WINDOW, EVIDENCE_WINDOW)]
        health = [e for e in events if e.kind == HEALTH
                  and _near(e, t, EVIDENCE_WINDOW, EVIDENCE_WINDOW)]
        changes = [e for e in events if e.kind == CONFIG
                   and _near(e, t, windows.config, CONFIG_SKEW)]
        drop.still_down = drop.recovered is None
        causes = [(e, cause(e, ike_failure_pattern)) for e in nearby]
        ike = next((v for v in IKE_VERDICTS if any(c == v for _, c in causes)), None)
        back = drop.recovered
        other_instance = (back is not None and drop.event.cloud == AZURE
                          and back.instance != drop.event.instance
                          and back.time - t <= windows.failover)
        dpd = [e for e, c in causes if c == DPD_TIMEOUT]
        deletes = [e for e, c in causes if c == PEER_DELETE]
        evidence: list[Event] = []
        # the sentence names the rule and the measured numbers it held on
        near = f"within {span(EVIDENCE_WINDOW.total_seconds())} either side"
        failover = f"the alert's {int(windows.failover.total_seconds())} s FailoverSeconds"
        after = f"after {int((back.time - t).total_seconds())} s" if back is not None else ""
        if ike is not None:
            drop.verdict = ike
            evidence = [e for e, c in causes if c in IKE_VERDICTS]
            first = next(e for e, c in causes if c == ike)
            drop.why = (f"{_cloud(first.cloud)} logged {_quote(first)} {_when(first, t)} the drop "
                        f"({len(evidence)} failed-negotiation record(s) {near}); an IKE "
                        "failure is judged before any other cause")
        elif health:
            drop.verdict, evidence = ENDPOINT_REPLACEMENT, health
            drop.why = (f"{health[0].source}: {_quote(health[0])} {_when(health[0], t)} the "
                        f"drop; a scheduled replacement {near} is taken as the cause")
        elif changes:
            drop.verdict, evidence = CONFIG_CHANGED, changes[::-1]  # the latest change first
            latest = changes[-1]
            drop.why = (f"{_quote(latest)} {_when(latest, t)} the drop, within the stack's "
                        f"{span(windows.config.total_seconds())} tunnelUpTimeoutMinutes (how "
                        "long a changed tunnel may take to return); a change is judged before "
                        "failover and DPD")
        elif other_instance and maintenance and back is not None:
            drop.verdict, evidence = MAINTENANCE_FAILOVER, [*maintenance, *primary]
            m = min(maintenance, key=lambda e: abs(e.time - t))
            drop.why = (f"back on the other instance ({back.instance}) {after}, within "
                        f"{failover}; {m.text.split(':')[0]} {_when(m, t)} the drop, within "
                        f"the alert's {int(windows.maintenance.total_seconds())} s "
                        "MaintenanceSeconds")
        elif other_instance and back is not None:
            drop.verdict, evidence = FAILOVER, primary
            changed = (f"; {PRIMARY_CHANGED} {_when(primary[0], t)} the drop" if primary
                       else "")
            drop.why = (f"back on the other instance ({back.instance}) {after}, within "
                        f"{failover}; no maintenance record within the alert's "
                        f"{int(windows.maintenance.total_seconds())} s MaintenanceSeconds"
                        f"{changed} (Microsoft: maintenance or a gateway reset fails over)")
        elif dpd:
            drop.verdict, evidence = DPD_TIMEOUT, dpd
            drop.why = (f"dead peer detection timed out: {_cloud(dpd[0].cloud)} logged "
                        f"{_quote(dpd[0])} {_when(dpd[0], t)} the drop; no IKE failure, "
                        f"endpoint replacement or failover {near}")
        elif deletes and drop.event.cloud == AWS:
            drop.verdict, evidence = PEER_DELETE, deletes
            drop.why = (f"AWS logged {_quote(deletes[0])} {_when(deletes[0], t)} the drop: "
                        "the customer gateway deleted the SA; no other cause " + near)
        elif back is None:
            drop.verdict = STILL_DOWN
            drop.why = ("no recovery logged by the end of the range, and no IKE failure, "
                        f"endpoint replacement, failover or DPD timeout {near}")
        elif drop.event.cloud == AZURE and back.instance == drop.event.instance:
            drop.verdict = SAME_INSTANCE
            drop.why = (f"back on the same instance ({back.instance}) {after}; no IKE "
                        f"failure, endpoint replacement or DPD timeout {near}")
        else:
            drop.verdict = RECONNECTED
            where = (f"on the other instance ({back.instance}) {after}, later than {failover}"
                     if drop.event.cloud == AZURE else after)
            drop.why = f"back {where}; no cause in the logs {near}"
        if drop.still_down and drop.verdict != STILL_DOWN:
            drop.why += "; not back by the end of the range"
        if back is not None:
            evidence = [*evidence, back]
        drop.evidence = evidence[:8]
    _mirror(drops, windows.failover)


# Verdicts only one end can see: the Azure gateway's instances (failover, same instance).
_AZURE_ONLY = (MAINTENANCE_FAILOVER, FAILOVER, SAME_INSTANCE)


def _mirror(drops: Sequence[Drop], window: dt.timedelta) -> None:
    """The same outage seen from the AWS end: an AWS drop within the failover window of an Azure
    drop that the AWS logs alone cannot explain (no cause, or only the customer gateway's
    DELETE, which the Azure instances explain) takes the Azure drop's verdict, with that drop
    as evidence (one tunnel, both ends)."""
    azure = [d for d in drops if d.event.cloud == AZURE and d.verdict in _AZURE_ONLY]
    for drop in drops:
        if drop.event.cloud != AWS or drop.verdict not in (RECONNECTED, STILL_DOWN, PEER_DELETE):
            continue
        twin = min(azure, key=lambda d: abs(d.event.time - drop.event.time), default=None)
        if twin is not None and abs(twin.event.time - drop.event.time) <= window:
            drop.verdict = twin.verdict
            drop.evidence = [twin.event, *twin.evidence][:8]
            apart = _when(twin.event, drop.event.time)
            drop.why = f"the same outage as the Azure end's drop {apart} this one: {twin.why}"


# Two drops, one from each end, are the same outage when their down intervals overlap (a drop
# still down runs to the end of the range) or when they start within this tolerance of each
# other. AWS exports tunnel logs to CloudWatch Logs every 5 minutes, best effort ("AWS
# Site-to-Site VPN logs"), so the AWS end's record of a moment can come minutes after Azure's:
# one export interval. The same tolerance bounds how long before the first down the earliest
# evidence (a BGP Cease AWS sent first, a DPD timeout) is still taken as the outage's start.
SAME_OUTAGE = dt.timedelta(minutes=5)

# A merged drop's one verdict: the rules' own order over both ends' verdicts, except that an
# Azure-only verdict (the instances explain it) comes before the AWS end's peer delete or
# "no cause", as `_mirror` already gives the AWS end.
MERGED_ORDER = (*IKE_VERDICTS, ENDPOINT_REPLACEMENT, CONFIG_CHANGED, MAINTENANCE_FAILOVER,
                FAILOVER, DPD_TIMEOUT, SAME_INSTANCE, PEER_DELETE, STILL_DOWN, RECONNECTED)

# BGP records: a session going down (AWS BGP log status DOWN or a Cease notification, Azure
# BgpDisconnectedEvent) and one coming (back) up.
BGP_DOWN_PATTERN = re.compile(r"\bCease\b|\bdown\b|Disconnected", re.IGNORECASE)
BGP_UP_PATTERN = re.compile(r"\bBgpConnected|\bup\b|\bestablished\b", re.IGNORECASE)


def starts_outage(event: Event) -> bool:
    """Evidence that can be an outage's first sign: a tunnel down on either side (Azure
    TunnelDisconnected; AWS Down state, DPD timeout or delete), a BGP session down or Cease, a
    DPD timeout logged by either side."""
    if event.kind == DOWN:
        return True
    if event.kind == BGP:
        return BGP_DOWN_PATTERN.search(event.text) is not None
    return cause(event) == DPD_TIMEOUT


def _back(event: Event) -> bool:
    return event.kind == UP or (event.kind == BGP and not starts_outage(event)
                                and BGP_UP_PATTERN.search(event.text) is not None)


def _start(ends: Sequence[Drop], events: Sequence[Event], tolerance: dt.timedelta,
           others: Set[int] = frozenset()) -> Event:
    """The earliest evidence of the outage: the ends' downs, or a sign of it (`starts_outage`)
    up to `tolerance` before the first of them and after the tunnel or BGP was last seen up;
    `others` are the ids of other drops' own downs (another instance's tunnel), never a sign."""
    first = min((d.event for d in ends), key=lambda e: e.time)
    since = first.time - tolerance
    for event in events:
        if since < event.time < first.time and _back(event):
            since = event.time
    signs = [e for e in events
             if since <= e.time < first.time and (e.time > since or not _back(e))
             and starts_outage(e) and id(e) not in others]
    return min(signs, key=lambda e: e.time, default=first)


def _same_outage(a: Drop, b: Drop, tolerance: dt.timedelta) -> bool:
    never = dt.datetime.max.replace(tzinfo=dt.UTC)
    a_end = a.recovered.time if a.recovered else never
    b_end = b.recovered.time if b.recovered else never
    overlap = a.event.time <= b_end and b.event.time <= a_end
    return overlap or abs(a.event.time - b.event.time) <= tolerance


def merge(drops: Sequence[Drop], events: Sequence[Event],
          tolerance: dt.timedelta = SAME_OUTAGE) -> list[Drop]:
    """One drop per outage: each AWS drop is paired with the Azure drop of the same outage
    (`_same_outage`; the closest in start time first, each drop in at most one pair) into one
    drop holding both ends (`Drop.sides`), one verdict (`MERGED_ORDER`) and both ends'
    evidence. A drop seen from one end stays as it is. Every drop starts at its earliest
    evidence (`_start`). Run after `judge`: the verdict rules are per end, unchanged."""
    azure = [d for d in drops if d.event.cloud == AZURE]
    aws = [d for d in drops if d.event.cloud == AWS]
    pairs = sorted(((abs(a.event.time - b.event.time), i, j)
                    for i, a in enumerate(azure) for j, b in enumerate(aws)
                    if _same_outage(a, b, tolerance)), key=lambda p: p[0])
    twin: dict[int, Drop] = {}
    paired: set[int] = set()
    for _, i, j in pairs:
        if id(azure[i]) in paired or id(aws[j]) in paired:
            continue
        paired.update((id(azure[i]), id(aws[j])))
        twin[id(azure[i])] = aws[j]
    downs = {id(d.event) for d in drops}
    out: list[Drop] = []
    for drop in drops:
        if id(drop) in twin:
            ends = [drop, twin[id(drop)]]
            out.append(_merged(ends, events, tolerance,
                               downs - {id(d.event) for d in ends}))
        elif id(drop) not in paired:
            drop.start = _start([drop], events, tolerance, downs - {id(drop.event)})
            out.append(drop)
    return sorted(out, key=lambda d: d.first.time)


def _merged(ends: list[Drop], events: Sequence[Event], tolerance: dt.timedelta,
            others: set[int]) -> Drop:
    ends = sorted(ends, key=lambda d: d.event.time)
    verdict = next(v for v in MERGED_ORDER if any(d.verdict == v for d in ends))
    backs = [d.recovered for d in ends]
    recovered = (None if any(b is None for b in backs)
                 else max((b for b in backs if b is not None), key=lambda e: e.time))
    downs = {id(d.event) for d in ends}
    evidence: list[Event] = []
    seen: set[int] = set()
    # the verdict's own evidence first (the ends that gave it), then the other end's
    for end in sorted(ends, key=lambda d: d.verdict != verdict):
        for e in end.evidence:
            if id(e) not in seen and id(e) not in downs:
                seen.add(id(e))
                evidence.append(e)
    # the why of the end that decided (an end that took it from the other, `_mirror`, last)
    decided = min((d for d in ends if d.verdict == verdict),
                  key=lambda d: d.event.cloud == AWS and verdict in _AZURE_ONLY)
    return Drop(ends[0].event, recovered, verdict, still_down=recovered is None,
                evidence=evidence[:16], sides=ends, start=_start(ends, events, tolerance, others),
                why=f"{_cloud(decided.event.cloud)} end: {decided.why}")


def side_text(end: Drop) -> str:
    """One end's own down and recovery: "azure Azure VPNGW01 IN_0 down 03:00:00Z, back ..."."""
    back = (f"back {iso(end.recovered.time)} after "
            f"{int((end.recovered.time - end.event.time).total_seconds())} s"
            + (f" on {end.recovered.instance}" if end.recovered.instance else "")
            if end.recovered else "not back by the end of the range")
    return f"{end.event.lane}: down {iso(end.event.time)}, {back}"


def render_text(timeline: Timeline) -> str:
    lines = [f"Tunnel {timeline.remote_ip}, {iso(timeline.start)} to {iso(timeline.end)}",
             ""]
    drop_at: dict[int, tuple[int, Drop]] = {}
    for n, drop in enumerate(timeline.drops, start=1):
        for event in (drop.first, *(d.event for d in drop.ends)):
            drop_at.setdefault(id(event), (n, drop))
    for event in timeline.events:
        mark = {DOWN: "v", UP: "^", MAINTENANCE: "M", HEALTH: "H"}.get(event.kind, " ")
        lines.append(f"{iso(event.time)} {mark} {event.lane:<40} {event.kind:<11} {event.text}")
        found = drop_at.get(id(event))
        if found is not None:
            lines.append(f"{'':22}=> {found[1].label} (drop {found[0]})")
    lines.append("")
    if not timeline.drops:
        lines.append("No drops in this range.")
    for n, drop in enumerate(timeline.drops, start=1):
        back = (f"back {iso(drop.recovered.time)} after {int(drop.down_seconds or 0)} s"
                if drop.recovered else "not back by the end of the range")
        lines.append(f"Drop {n}: {iso(drop.first.time)} {drop.label}; {back}; seen from "
                     f"{' and '.join(drop.clouds)}")
        lines.append(f"    start: {iso(drop.first.time)} {drop.first.lane}: {drop.first.text}"
                     f" [{drop.first.source}]")
        for end in drop.ends:
            lines.append(f"    {end.event.cloud}: {side_text(end)}")
        backs = {id(d.recovered) for d in drop.ends}
        for e in drop.evidence:
            if id(e) in backs:
                continue
            lines.append(f"    evidence: {iso(e.time)} {e.lane}: {e.text} [{e.source}]")
        lines.append(f"    why: {drop.why}")
        lines.append(f"    next step: {drop.next_step}")
    for note in timeline.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)
