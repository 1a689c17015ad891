"""How each drop gets its verdict, and the sentence that says why (plain data in, no I/O).

A drop's verdict is read from
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
   evidence of the failover, not of maintenance. A failover with a gateway reset of the
   same gateway in the Azure Activity log up to `EVIDENCE_WINDOW` before the drop (the reset's
   first record, Started; `resets.py`) is "Gateway reset", naming who and when; with neither,
   "Gateway failover (cause: planned maintenance or a reset)". A maintenance record wins over
   a reset (the reset is then named in the why): HostMaintenanceEvent is the gateway's own
   record of the instance it took down, the reset only a request to ARM.
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
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from gatewatch.aws import tunnel_log_vocabulary as vocabulary
from gatewatch.live.triage.model import (
    AWS,
    AZURE,
    CONFIG,
    CONFIG_CHANGED,
    CONFIG_SKEW,
    DEFAULT_WINDOWS,
    DOWN,
    DPD_TIMEOUT,
    ENDPOINT_REPLACEMENT,
    EVIDENCE_WINDOW,
    FAILOVER,
    GATEWAY_RESET,
    HEALTH,
    IKE,
    IKE_AUTH,
    IKE_OTHER,
    IKE_PHASE2,
    IKE_PROPOSAL,
    IKE_PSK,
    IKE_TIMEOUT,
    IKE_TRAFFIC_SELECTOR,
    IKE_VERDICTS,
    LOG,
    MAINTENANCE,
    MAINTENANCE_FAILOVER,
    PEER_DELETE,
    PRIMARY_CHANGED,
    RECONNECTED,
    RESET,
    SAME_INSTANCE,
    STILL_DOWN,
    UP,
    Drop,
    Event,
    Windows,
    cloud_name,
    is_primary_change,
    iso,
    span,
)

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


def _when(event: Event, moment: dt.datetime) -> str:
    """Where an event lies from a moment: "30 s before", "4 min after", "at"."""
    d = (event.time - moment).total_seconds()
    return "at" if abs(d) < 0.5 else f"{span(d)} {'before' if d < 0 else 'after'}"


def _quote(event: Event) -> str:
    text = event.text if len(event.text) <= 90 else event.text[:87] + "..."
    return f'"{text}"'


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


def find_drops(events: Sequence[Event], windows: Windows = DEFAULT_WINDOWS) -> list[Drop]:
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
          windows: Windows = DEFAULT_WINDOWS) -> None:
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
        resets = [e for e in events if e.kind == RESET and e.lane == _tunnel_key(drop.event)[1]
                  and _near(e, t, EVIDENCE_WINDOW, CONFIG_SKEW)]
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
        maintenance_window = (f"the alert's {int(windows.maintenance.total_seconds())} s "
                              "MaintenanceSeconds")
        failed_over = (f"back on the other instance ({back.instance}) {after}, within {failover}"
                       if back is not None else "")
        if ike is not None:
            drop.verdict = ike
            evidence = [e for e, c in causes if c in IKE_VERDICTS]
            first = next(e for e, c in causes if c == ike)
            drop.why = (f"{cloud_name(first.cloud)} logged {_quote(first)} {_when(first, t)} "
                        f"the drop ({len(evidence)} failed-negotiation record(s) {near}); an IKE "
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
            drop.verdict, evidence = MAINTENANCE_FAILOVER, [*maintenance, *resets, *primary]
            m = min(maintenance, key=lambda e: abs(e.time - t))
            also = (f"; a maintenance record wins over {_quote(resets[-1])} "
                    f"{_when(resets[-1], t)} the drop" if resets else "")
            drop.why = (f"{failed_over}; {m.text.split(':')[0]} {_when(m, t)} the drop, "
                        f"within {maintenance_window}{also}")
        elif other_instance and resets and back is not None:
            drop.verdict, evidence = GATEWAY_RESET, [*resets[::-1], *primary]
            latest = resets[-1]
            drop.why = (f"{failed_over}; {_quote(latest)} {_when(latest, t)} the drop "
                        f"({iso(latest.time)}, {latest.source}), within "
                        f"{span(EVIDENCE_WINDOW.total_seconds())} before it; no maintenance "
                        f"record within {maintenance_window} (Microsoft: a gateway reset fails "
                        "over)")
        elif other_instance and back is not None:
            drop.verdict, evidence = FAILOVER, primary
            changed = (f"; {PRIMARY_CHANGED} {_when(primary[0], t)} the drop" if primary
                       else "")
            drop.why = (f"{failed_over}; no maintenance record within {maintenance_window}"
                        f"{changed} (Microsoft: maintenance or a gateway reset fails over)")
        elif dpd:
            drop.verdict, evidence = DPD_TIMEOUT, dpd
            drop.why = (f"dead peer detection timed out: {cloud_name(dpd[0].cloud)} logged "
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
AZURE_ONLY = (MAINTENANCE_FAILOVER, GATEWAY_RESET, FAILOVER, SAME_INSTANCE)


def _mirror(drops: Sequence[Drop], window: dt.timedelta) -> None:
    """The same outage seen from the AWS end: an AWS drop within the failover window of an Azure
    drop that the AWS logs alone cannot explain (no cause, or only the customer gateway's
    DELETE, which the Azure instances explain) takes the Azure drop's verdict, with that drop
    as evidence (one tunnel, both ends)."""
    azure = [d for d in drops if d.event.cloud == AZURE and d.verdict in AZURE_ONLY]
    for drop in drops:
        if drop.event.cloud != AWS or drop.verdict not in (RECONNECTED, STILL_DOWN, PEER_DELETE):
            continue
        twin = min(azure, key=lambda d: abs(d.event.time - drop.event.time), default=None)
        if twin is not None and abs(twin.event.time - drop.event.time) <= window:
            drop.verdict = twin.verdict
            drop.evidence = [twin.event, *twin.evidence][:8]
            apart = _when(twin.event, drop.event.time)
            drop.why = f"the same outage as the Azure end's drop {apart} this one: {twin.why}"
