"""What a stack adds against Azure Monitor's alert limits, counted over the resource graph, and
the worst-case mail rate to each action-group address.

The limits and their words live in gatewatch/azure/limits.py ("Azure Monitor service limits",
https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits).

- A rule counts in the subscription of the resource group it is created in: its known ARM id's
  subscription when there is one (a stack export), else the subscription the stack deploys into
  (the kit creates every rule in its own resource group, through the one default provider).
- Every deployed rule counts, `enabled: false` ones too: the page counts "active alert rules"
  and does not say a disabled rule is not one. Only what this stack adds is counted; rules the
  subscription already has count against the same limits and are invisible offline.
- Mail rate, worst case: a rule mails at most once per evaluation (a stateful rule notifies on
  each change between fired and resolved, at most one per evaluation; a stateless log search
  alert on each evaluation that finds rows), or once per `muteActionsDuration` when that is
  longer; one time series per rule (a rule split by dimension mails once per combination, e.g.
  per tunnel, so the real worst case is higher; the split rules are named). Disabled rules mail
  nothing; activity log alerts mail per event and have no rate to estimate. All rules are taken
  to notify from one region (the page limits mails per address and region).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gatewatch.azure import limits as L
from gatewatch.azure.facts import SCHEDULED_QUERY_RULE_TYPES
from gatewatch.catalog.files import parse_duration
from gatewatch.checks.model import UNKNOWN, Resource

_SUBSCRIPTION = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)
UNKNOWN_SUBSCRIPTION = "the subscription the stack deploys into"


def subscription_of(value: Any) -> str | None:
    """The subscription id an ARM id or scope starts with (lower case), if it is one."""
    if not isinstance(value, str):
        return None
    match = _SUBSCRIPTION.match(value)
    return match.group(1).lower() if match else None


def minutes(value: Any) -> int | None:
    """An ISO 8601 duration ("PT5M", "PT1H", "P1D") in whole minutes, read as the catalog reads
    it; None if not one (an unknown value during a preview)."""
    try:
        return int(parse_duration(value).total_seconds()) // 60
    except ValueError:
        return None


@dataclass
class Count:
    """One limit at one place (a subscription, a resource, an identity): how many this stack
    adds there, and the rules' names."""

    limit: L.Limit
    where: str
    count: int
    rules: list[str] = field(default_factory=list)

    @property
    def crossed(self) -> bool:
        return self.count > self.limit.maximum


@dataclass
class MailRate:
    """Worst-case mails an hour to one address, from the enabled rules that notify it."""

    address: str
    per_hour: float
    rules: list[tuple[str, float]]  # (rule name, mails an hour)
    split_rules: list[str]  # rules split by dimension: one mail per combination
    event_rules: list[str]  # activity log alerts: per event, not estimated

    @property
    def over(self) -> bool:
        return self.per_hour > L.EMAILS_PER_HOUR


@dataclass
class LimitReport:
    counts: list[Count]
    mail: list[MailRate]
    gateway_subscriptions: dict[str, int]

    @property
    def crossed(self) -> list[Count]:
        return [c for c in self.counts if c.crossed]


def limit_line(limit: L.Limit, count: int, where: str, detail: str = "") -> str:
    """A crossed limit, as the plan and `pulumi up` say it: the count, the limit, its document
    and the fix. `detail`: how the count is made up, if it is not only this stack's."""
    return (f"LIMIT {limit.label}: {count:,} in {limit.per} {where}{detail}, over "
            f"{limit.maximum:,} ({L.DOCUMENT}: \"{limit.quote}\"); fix: {limit.fix}")


def _home(rule: Resource, deploying: str | None) -> str:
    return subscription_of(rule.known_id) or (deploying or UNKNOWN_SUBSCRIPTION).lower()


def _label(urns: Sequence[str], by_urn: dict[str, Resource], value: Any) -> str:
    """A scope or identity as the reader knows it: the stack's resource it came from (the same
    in preview and update mode), else its value (an existing resource's id)."""
    names = [by_urn[u].name if u in by_urn else u.rsplit("::", 1)[-1] for u in urns]
    if names:
        return ", ".join(names)
    return value if isinstance(value, str) and value else "<unknown>"


def _enabled(rule: Resource) -> bool:
    return rule.inputs.get("enabled", True) is not False


def _split(rule: Resource) -> bool:
    criteria = rule.inputs.get("criteria")
    all_of = criteria.get("allOf") if isinstance(criteria, dict) else None
    return any(isinstance(c, dict) and c.get("dimensions") for c in all_of or [])


def _by_place(limit: L.Limit, places: dict[str, list[str]]) -> list[Count]:
    return [Count(limit, where, len(rules), sorted(rules))
            for where, rules in sorted(places.items())]


def count_limits(resources: Iterable[Resource], deploying: str | None = None,
                 gateway_ids: Iterable[str] = ()) -> LimitReport:
    """Count the stack's alert rules against each limit of gatewatch/azure/limits.py, per
    subscription (per resource, per identity where the limit says so), and estimate the mail
    rate per address. `deploying`: the subscription the stack deploys into (the client config
    the program asked), for rules whose own id is not known."""
    # By URN: the runtime registers resources in an order that varies from run to run.
    resources = sorted(resources, key=lambda r: r.urn)
    by_urn = {r.urn: r for r in resources}
    metric = [r for r in resources if r.type in L.METRIC_ALERT_TYPES]
    activity = [r for r in resources if r.type in L.ACTIVITY_LOG_ALERT_TYPES]
    logs = [r for r in resources if r.type in SCHEDULED_QUERY_RULE_TYPES]

    subscriptions = sorted({_home(r, deploying) for r in (*metric, *activity, *logs)})
    counts: list[Count] = []
    for limit, rules in ((L.METRIC_ALERTS, metric), (L.ACTIVITY_LOG_ALERTS, activity),
                         (L.LOG_ALERTS, logs),
                         (L.LOG_ALERTS_ONE_MINUTE,
                          [r for r in logs if minutes(r.inputs.get("evaluationFrequency")) == 1])):
        for sub in subscriptions:
            names = [r.name for r in rules if _home(r, deploying) == sub]
            counts.append(Count(limit, sub, len(names), sorted(names)))

    per_resource: dict[str, list[str]] = {}
    per_identity: dict[str, list[str]] = {}
    for rule in logs:
        scopes = rule.inputs.get("scopes")
        scope_list = scopes if isinstance(scopes, list) else [scopes]
        identity = rule.inputs.get("identity")
        identity = identity if isinstance(identity, dict) else {}
        assigned = identity.get("userAssignedIdentities")
        if identity.get("type") == "SystemAssigned" or not identity:
            identities = [f"{rule.name} (its own identity)"]
        elif isinstance(assigned, dict) and assigned:
            identities = list(assigned)
        else:
            identities = [_label(rule.depends_through("identity"), by_urn, None)]
        for scope in scope_list:
            where = _label(rule.depends_through("scopes"), by_urn,
                           None if scope is UNKNOWN or scope == "<unknown>" else scope)
            per_resource.setdefault(where, []).append(rule.name)
            for ident in identities:
                per_identity.setdefault(f"{ident} on {where}", []).append(rule.name)
    counts += _by_place(L.LOG_ALERTS_PER_RESOURCE, per_resource)
    counts += _by_place(L.LOG_ALERTS_PER_IDENTITY, per_identity)

    gateway_subs: dict[str, int] = {}
    for gid in gateway_ids:
        gateway_sub = subscription_of(gid)
        if gateway_sub:
            gateway_subs[gateway_sub] = gateway_subs.get(gateway_sub, 0) + 1
    return LimitReport(counts=counts, mail=mail_rates(resources),
                       gateway_subscriptions=dict(sorted(gateway_subs.items())))


def _notifies(rule: Resource, group: Resource) -> bool:
    """Whether the rule's actions name the action group (by the URN its actions came from
    during a preview, by name when the id is known)."""
    if group.urn in rule.depends_through("actions"):
        return True
    name = group.inputs.get("actionGroupName")
    return isinstance(name, str) and f"/actiongroups/{name.lower()}" in str(
        rule.inputs.get("actions")).lower()


def _rate(rule: Resource) -> float | None:
    every = minutes(rule.inputs.get("evaluationFrequency"))
    if not every:
        return None
    mute = minutes(rule.inputs.get("muteActionsDuration")) or 0
    return 60 / max(every, mute)


def mail_rates(resources: Sequence[Resource]) -> list[MailRate]:
    """Worst-case mails an hour to each address of each action group (module docstring)."""
    groups = sorted((r for r in resources if r.type in L.ACTION_GROUP_TYPES), key=lambda r: r.urn)
    # Sorted by URN: the recording lists resources in the order the runtime registered them,
    # which varies from run to run; the plan must print the same text every time.
    rules = sorted((r for r in resources if r.type in (*L.METRIC_ALERT_TYPES,
                                                       *SCHEDULED_QUERY_RULE_TYPES,
                                                       *L.ACTIVITY_LOG_ALERT_TYPES)),
                   key=lambda r: r.urn)
    per_address: dict[str, MailRate] = {}
    for group in groups:
        receivers = group.inputs.get("emailReceivers")
        addresses = [str(r.get("emailAddress")) for r in receivers or []
                     if isinstance(r, dict) and r.get("emailAddress")] \
            if isinstance(receivers, list) else []
        notifying = [r for r in rules if _enabled(r) and _notifies(r, group)]
        for address in addresses:
            rate = per_address.setdefault(address.lower(), MailRate(address, 0.0, [], [], []))
            for rule in notifying:
                if rule.type in L.ACTIVITY_LOG_ALERT_TYPES:
                    rate.event_rules.append(rule.name)
                    continue
                per_hour = _rate(rule)
                if per_hour is None:
                    continue
                rate.rules.append((rule.name, per_hour))
                rate.per_hour += per_hour
                if _split(rule):
                    rate.split_rules.append(rule.name)
    return list(per_address.values())
