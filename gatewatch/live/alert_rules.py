"""The alert rules a subscription already has, read from ARM with azure-mgmt-monitor, for the
limits `pulumi up` checks that no offline plan can see.

Three list operations, at the api-versions azure-mgmt-monitor 7 sends (Microsoft's API
definitions, Azure/azure-rest-api-specs, specification/monitor/resource-manager/
Microsoft.Insights/stable/):
- MetricAlerts_ListBySubscription, GET /subscriptions/{id}/providers/Microsoft.Insights/
  metricAlerts, 2018-03-01 (metricAlert_API.json): `"x-ms-pageable": {"nextLinkName": null}`,
  one answer of MetricAlertResourceCollection (`value`);
- ActivityLogAlerts_ListBySubscriptionId, .../activityLogAlerts, 2020-10-01
  (activityLogAlerts_API.json): ActivityLogAlertList, `value` and `nextLink`;
- ScheduledQueryRules_ListBySubscription, .../scheduledQueryRules, 2023-12-01
  (scheduledQueryRule_API.json): `"nextLinkName": "nextLink"`.
The SDK's pagers follow `nextLink` where the definition has one; a metric alert list that
carries one anyway is counted as far as read and named as short. A rule counts whether enabled
or not (the limits page counts "active alert rules" and does not say a disabled rule is not
one), as the offline count does; a scheduled query rule of kind LogToMetric is no log alert.

Least privilege: the three reads need Microsoft.Insights/metricAlerts/read,
activityLogAlerts/read and scheduledQueryRules/read on the subscription (Reader has them).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from gatewatch.catalog.files import parse_duration
from gatewatch.live.azure import AzureReader, AzureUnreachable, LoginError, _sdk_line

METRIC = "Microsoft.Insights/metricAlerts"
ACTIVITY = "Microsoft.Insights/activityLogAlerts"
SCHEDULED = "Microsoft.Insights/scheduledQueryRules"
LOG_TO_METRIC = "LogToMetric"


@dataclass(frozen=True)
class ExistingRule:
    """One rule as ARM lists it: what the limits count it by."""

    id: str
    type: str  # METRIC, ACTIVITY or SCHEDULED
    one_minute: bool = False  # a log search alert evaluated every minute
    scopes: tuple[str, ...] = ()
    identities: tuple[str, ...] = ()  # user-assigned identity ids (log search alerts)


@dataclass
class SubscriptionRules:
    """What could be read of one subscription's rules, and what could not (one line each)."""

    subscription: str
    rules: list[ExistingRule] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)


def _one_minute(frequency: Any) -> bool:
    """The SDK reads the `duration` format into a timedelta; an ISO 8601 string otherwise."""
    if isinstance(frequency, dt.timedelta):
        return frequency.total_seconds() == 60
    try:
        return parse_duration(str(frequency)).total_seconds() == 60
    except ValueError:
        return False


def _failure(error: BaseException) -> str:
    """One line for a failed read: ARM's error code and message, or the network's."""
    from azure.core.exceptions import HttpResponseError

    if isinstance(error, LoginError | AzureUnreachable):
        return str(error)
    if isinstance(error, HttpResponseError):
        code = getattr(getattr(error, "error", None), "code", None) or error.reason or ""
        status = error.status_code or ""
        message = getattr(getattr(error, "error", None), "message", None) or error.message
        return _sdk_line(f"HTTP {status} {code}: {message}".replace("  ", " "))
    return _sdk_line(f"{type(error).__name__}: {error}")


def _metric(items: Iterable[Any]) -> list[ExistingRule]:
    return [ExistingRule(id=str(r.id), type=METRIC) for r in items]


def _activity(items: Iterable[Any]) -> list[ExistingRule]:
    return [ExistingRule(id=str(r.id), type=ACTIVITY) for r in items]


def _scheduled(items: Iterable[Any]) -> list[ExistingRule]:
    rules = []
    for r in items:
        if (r.kind or "LogAlert") == LOG_TO_METRIC:
            continue
        identity = r.identity
        assigned = tuple((identity.user_assigned_identities or {}) if identity else {})
        rules.append(ExistingRule(id=str(r.id), type=SCHEDULED,
                                  one_minute=_one_minute(r.evaluation_frequency),
                                  scopes=tuple(r.scopes or ()), identities=assigned))
    return rules


def _metric_alerts(monitor: Any, unread: list[str]) -> list[Any]:
    """MetricAlerts_ListBySubscription is one answer at 2018-03-01 and the SDK follows no
    nextLink; should ARM send one anyway, the rules read count and the rest is named."""
    links: list[str] = []

    def hook(response: Any) -> None:
        with contextlib.suppress(Exception):  # not JSON: the SDK itself will say so
            if response.http_response.json().get("nextLink"):
                links.append("nextLink")

    items = list(monitor.metric_alerts.list_by_subscription(raw_response_hook=hook))
    if links:
        unread.append(f"metric alerts after the first {len(items):,} (ARM sent a nextLink, "
                      "which api-version 2018-03-01 does not define)")
    return items


_LISTS: list[tuple[str, Callable[[Any, list[str]], Iterable[Any]],
                   Callable[[Iterable[Any]], list[ExistingRule]]]] = [
    ("metric alerts", _metric_alerts, _metric),
    ("activity log alerts", lambda m, _: m.activity_log_alerts.list_by_subscription_id(),
     _activity),
    ("log search alerts", lambda m, _: m.scheduled_query_rules.list_by_subscription(),
     _scheduled),
]


def read_subscription_rules(subscription: str, reader: AzureReader | None = None
                            ) -> SubscriptionRules:
    """Every metric, activity log and log search alert rule of `subscription`. A list that
    cannot be read (403, network) is named in `unread`, the others still read; without a
    login none is read, said once."""
    own = reader is None
    reader = reader or AzureReader(subscription)
    found = SubscriptionRules(subscription)
    try:
        client = reader.monitor(subscription)  # the login happens here
    except (LoginError, AzureUnreachable) as error:
        found.unread.append(f"{', '.join(label for label, _, _ in _LISTS)} ({_failure(error)})")
        return found
    try:
        for label, call, convert in _LISTS:
            try:
                found.rules += convert(list(call(client, found.unread)))
            except Exception as error:  # a failing source is named, never a crashed deploy
                found.unread.append(f"{label} ({_failure(error)})")
    finally:
        if own:  # this run's connections, closed (the program goes on registering)
            client.close()
            reader.credential().close()
    return found


__all__ = ["ACTIVITY", "METRIC", "SCHEDULED", "ExistingRule", "SubscriptionRules",
           "read_subscription_rules"]
