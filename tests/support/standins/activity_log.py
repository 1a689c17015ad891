"""The Azure Activity log, locally: Activity Logs - List (api-version 2015-04-01), served by the
ARM stand-in (azure.py) at GET /subscriptions/{id}/providers/Microsoft.Insights/eventtypes/
management/values.

Written from Microsoft's API definition (Azure/azure-rest-api-specs, specification/monitor/
resource-manager/Microsoft.Insights/stable/2015-04-01/activityLogs_API.json, ActivityLogs_List):

- `$filter` "is very restricted and allows only the following patterns": `eventTimestamp ge
  '<t>' and eventTimestamp le '<t>'`, alone or followed by `and resourceGroupName eq '...'`,
  `and resourceUri eq '...'`, `and resourceProvider eq '...'` or `and correlationId eq '...'`;
  "No other syntax is allowed". Anything else is answered 400 BadRequest (the code is this
  stand-in's choice: the definition names no error code).
- `$select`: "a comma separated list of property names to be returned. Possible values are:
  authorization, claims, correlationId, description, eventDataId, eventName, eventTimestamp,
  httpRequest, level, operationId, operationName, properties, resourceGroupName,
  resourceProviderName, resourceId, status, submissionTimestamp, subStatus, subscriptionId"
  (`caller` is not among them, so a selected answer has none).
- The answer is an EventDataCollection, `value` and `nextLink` (`"x-ms-pageable":
  {"nextLinkName": "nextLink"}`); pages of `page_size` events, the nextLink absolute with a
  `$skiptoken`, as the definition's example GetActivityLogsFiltered.json shows it.

Events are shaped as Microsoft's "Azure Activity Log event schema", Administrative category
(https://learn.microsoft.com/azure/azure-monitor/platform/activity-log-schema): "If the
operation type is Write, Delete, or Action, the records of both the start and success or fail
of that operation are recorded in the Administrative category"; an event has authorization,
caller, channels, claims, correlationId, eventDataId, eventName, category, eventTimestamp, id,
level, operationId, operationName {value, localizedValue}, resourceGroupName,
resourceProviderName, resourceType, resourceId, status {value, localizedValue}, subStatus,
submissionTimestamp, subscriptionId, properties.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

PATH = re.compile(r"/subscriptions/(?P<sub>[^/]+)/providers/microsoft\.insights/eventtypes/"
                  r"management/values")
_TIME = r"eventTimestamp ge '(?P<ge>[^']+)' and eventTimestamp le '(?P<le>[^']+)'"
_FILTER = re.compile(_TIME + r"(?: and (?P<field>resourceGroupName|resourceUri|"
                     r"resourceProvider|correlationId) eq '(?P<value>[^']+)')?")
SELECTABLE = ("authorization", "claims", "correlationId", "description", "eventDataId",
              "eventName", "eventTimestamp", "httpRequest", "level", "operationId",
              "operationName", "properties", "resourceGroupName", "resourceProviderName",
              "resourceId", "status", "submissionTimestamp", "subStatus", "subscriptionId")
# The filter's field -> the event property it compares (case-insensitive, as ARM ids are).
_FIELDS = {"resourceGroupName": "resourceGroupName", "resourceUri": "resourceId",
           "resourceProvider": "resourceProviderName", "correlationId": "correlationId"}


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)  # 7 digits, Z: Python 3.11+


def _localized(value: str) -> dict[str, str]:
    return {"value": value, "localizedValue": value}


def administrative_event(operation: str, at: dt.datetime, resource_id: str, status: str,
                         caller: str, correlation_id: str) -> dict[str, Any]:
    """One Administrative event as the schema's sample event is written."""
    parts = resource_id.split("/")
    event_id = str(uuid.uuid4())
    provider = parts[6] if len(parts) > 6 else ""
    return {
        "authorization": {"action": operation, "scope": resource_id},
        "caller": caller, "channels": "Operation",
        "claims": {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": caller},
        "correlationId": correlation_id, "eventDataId": event_id,
        "eventName": {"value": "BeginRequest" if status == "Started" else "EndRequest",
                      "localizedValue": "Begin request" if status == "Started"
                      else "End request"},
        "category": _localized("Administrative"), "eventTimestamp": _stamp(at),
        "id": f"{resource_id}/events/{event_id}/ticks/{int(at.timestamp() * 10**7)}",
        "level": "Error" if status == "Failed" else "Informational",
        "operationId": correlation_id, "operationName": _localized(operation),
        "resourceGroupName": parts[4] if len(parts) > 4 else "",
        "resourceProviderName": _localized(provider),
        "resourceType": _localized("/".join(parts[6:8])), "resourceId": resource_id,
        "status": _localized(status), "subStatus": _localized(""),
        "submissionTimestamp": _stamp(at + dt.timedelta(seconds=15)),
        "subscriptionId": parts[2] if len(parts) > 2 else "",
        "properties": {"statusCode": "Accepted" if status == "Accepted" else ""},
        "relatedEvents": []}


@dataclass
class ActivityLogStandIn:
    events: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 200
    filters: list[str] = field(default_factory=list)  # the $filter of every first page asked

    def operation(self, operation: str, at: dt.datetime, resource_id: str, caller: str,
                  statuses: tuple[str, ...] = ("Started", "Accepted", "Succeeded"),
                  step: float = 30) -> str:
        """One operation's events (one correlationId), `step` seconds apart; its id."""
        correlation = str(uuid.uuid4())
        for i, status in enumerate(statuses):
            self.events.append(administrative_event(
                operation, at + dt.timedelta(seconds=step * i), resource_id, status, caller,
                correlation))
        return correlation

    def answer(self, key: str, query: Mapping[str, list[str]], base: str
               ) -> tuple[int, Any] | None:
        """The list at `key` (a lower-case ARM path), or None when `key` is not the list."""
        match = PATH.fullmatch(key)
        if match is None:
            return None
        text = query.get("$filter", [""])[0]
        found = _FILTER.fullmatch(text.strip())
        if found is None:
            return 400, {"error": {"code": "BadRequest", "message": "The $filter is not one "
                                   f"of the supported patterns: {text!r}"}}
        skip = int(query.get("$skiptoken", ["0"])[0])
        if not skip:
            self.filters.append(text)
        ge, le = _when(found["ge"]), _when(found["le"])
        kept = [e for e in sorted(self.events, key=lambda e: e["eventTimestamp"])
                if e["subscriptionId"].lower() == match["sub"]
                and ge <= _when(e["eventTimestamp"]) <= le
                and (found["field"] is None or _matches(e, found["field"], found["value"]))]
        select = [s.strip() for s in query.get("$select", [""])[0].split(",") if s.strip()]
        if select:
            kept = [{k: v for k, v in e.items() if k in select and k in SELECTABLE}
                    for e in kept]
        page: dict[str, Any] = {"value": kept[skip:skip + self.page_size]}
        if skip + self.page_size < len(kept):
            page["nextLink"] = (f"{base}{key}?api-version={query['api-version'][0]}"
                                f"&$filter={quote(text)}&$skiptoken={skip + self.page_size}")
        return 200, page


def _matches(event: Mapping[str, Any], name: str, value: str) -> bool:
    have = event.get(_FIELDS[name])
    if isinstance(have, dict):
        have = have.get("value")
    return str(have or "").rstrip("/").lower() == value.rstrip("/").lower()
