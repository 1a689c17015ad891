"""One outage is one drop (`merge`, after `verdicts.judge`): the Azure and AWS drops of the
tunnel whose down intervals overlap, or that start within `SAME_OUTAGE` of each other, become
one drop with each end's own drop in `Drop.sides`, one verdict (the rules' order, `MERGED_ORDER`,
over both ends' verdicts) and both ends' evidence. Every drop starts at its earliest evidence on
either side (`Drop.first`): a BGP Cease or BGP down, a DPD timeout, a TunnelDisconnected, an AWS
Down state.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence, Set

from gatewatch.live.triage.model import (
    AWS,
    AZURE,
    BGP,
    CONFIG_CHANGED,
    DOWN,
    DPD_TIMEOUT,
    ENDPOINT_REPLACEMENT,
    FAILOVER,
    GATEWAY_RESET,
    IKE_VERDICTS,
    MAINTENANCE_FAILOVER,
    PEER_DELETE,
    RECONNECTED,
    SAME_INSTANCE,
    STILL_DOWN,
    UP,
    Drop,
    Event,
    cloud_name,
)
from gatewatch.live.triage.verdicts import AZURE_ONLY, cause

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
                GATEWAY_RESET, FAILOVER, DPD_TIMEOUT, SAME_INSTANCE, PEER_DELETE, STILL_DOWN,
                RECONNECTED)

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
                  key=lambda d: d.event.cloud == AWS and verdict in AZURE_ONLY)
    return Drop(ends[0].event, recovered, verdict, still_down=recovered is None,
                evidence=evidence[:16], sides=ends, start=_start(ends, events, tolerance, others),
                why=f"{cloud_name(decided.event.cloud)} end: {decided.why}")
