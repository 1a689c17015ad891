"""Gateway resets from the Azure Activity log, onto the timeline.

Microsoft's "Troubleshoot Azure VPN Gateway using diagnostic logs"
(https://learn.microsoft.com/azure/vpn-gateway/troubleshoot-vpn-with-azure-diagnostics) says a
failover "is usually an expected behavior due to maintenance" and "The same behavior will be
observed if you intentionally run a Gateway Reset on the Azure side". A reset is an ARM action,
`Microsoft.Network/virtualNetworkGateways/reset/action` ("Resets a virtualNetworkGateway",
"Azure permissions for Networking", https://learn.microsoft.com/azure/role-based-access-control/
permissions/networking), so the Activity log records it: "If the operation type is Write,
Delete, or Action, the records of both the start and success or fail of that operation are
recorded in the Administrative category" ("Azure Activity Log event schema",
https://learn.microsoft.com/azure/azure-monitor/platform/activity-log-schema). Its events carry
`caller` ("Email address of the user who has performed the operation, UPN claim, or SPN claim
based on availability"), `eventTimestamp`, `status` ("Started, In Progress, Succeeded, Failed,
..."), and `correlationId` ("Events that share a correlationId belong to the same uber
action"): one reset is the events of one correlationId, dated by its first.

A reset that did not fail is a RESET event (a cause `verdicts.judge` weighs); a failed one is
shown as a LOG event. The gateway's own Activity log is read (`resourceUri eq` its id), so a
reset of another gateway is never this tunnel's evidence.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from typing import Any

from gatewatch.azure.arm_ids import id_key
from gatewatch.live.readers import AzureReads
from gatewatch.live.sources import ACTIVITY_LOG, Sources
from gatewatch.live.triage.model import AZURE, DOWN, LOG, RESET, Event, utc

RESET_OPERATION = "Microsoft.Network/virtualNetworkGateways/reset/action"
SOURCE = "Azure Activity log"
FAILED = "failed"


def gateway_name(event: Event) -> str:
    """The gateway an Azure tunnel or gateway event is on (its lane: "Azure NAME [IN_n]")."""
    return event.lane.removeprefix("Azure ").split(" ")[0].upper()


def gateways_to_read(configured: Iterable[str], events: Sequence[Event]
                     ) -> tuple[list[str], list[str]]:
    """The configured gateway ids that an Azure drop is on, and the names of drops' gateways
    the stack does not list (their ids, so their Activity log, are unknown)."""
    by_name = {gid.rstrip("/").rsplit("/", 1)[-1].upper(): gid for gid in configured}
    names = sorted({gateway_name(e) for e in events if e.cloud == AZURE and e.kind == DOWN})
    return ([by_name[n] for n in names if n in by_name],
            [n for n in names if n not in by_name])


def reset_events(reader: AzureReads, gateway_ids: Sequence[str], start: dt.datetime,
                 end: dt.datetime, sources: list[str], boundary: Sources) -> list[Event]:
    """The gateways' resets in [start, end]; SourceDown when the Activity log cannot be read
    (refused, down or hanging)."""
    events: list[Event] = []
    for gateway_id in gateway_ids:
        sources.append(f"{SOURCE} ({RESET_OPERATION}) for {gateway_id}")
        found = boundary.call(ACTIVITY_LOG, functools.partial(
            reader.activity_log, gateway_id, start, end))
        events += _resets(gateway_id, found)
    return events


def _value(field: Any) -> str:
    """A LocalizableString's invariant value (or a plain string)."""
    if isinstance(field, dict):
        return str(field.get("value") or "")
    return str(field or "")


def _resets(gateway_id: str, found: Iterable[dict[str, Any]]) -> list[Event]:
    """One event per reset operation (correlationId) on this gateway."""
    operations: dict[str, list[dict[str, Any]]] = {}
    for item in found:
        if _value(item.get("operation_name")).lower() != RESET_OPERATION.lower():
            continue
        if id_key(str(item.get("resource_id") or "")) != id_key(gateway_id):
            continue
        key = str(item.get("correlation_id") or item.get("event_data_id") or id(item))
        operations.setdefault(key, []).append(item)
    name = gateway_id.rstrip("/").rsplit("/", 1)[-1]
    events = []
    for items in operations.values():
        items.sort(key=lambda i: utc(i["event_timestamp"]))
        statuses = [_value(i.get("status")) for i in items]
        caller = next((str(i["caller"]) for i in items if i.get("caller")), "an unnamed caller")
        failed = any(s.lower() == FAILED for s in statuses)
        text = f"Gateway reset of {name} by {caller} ({', '.join(s for s in statuses if s)})"
        events.append(Event(utc(items[0]["event_timestamp"]), AZURE, LOG if failed else RESET,
                            text + (": failed, nothing reset" if failed else ""), SOURCE,
                            f"Azure {name.upper()}"))
    return events
