"""Before any resource is registered: the alert rules this program will add, plus those its
subscription already has, against Azure Monitor's alert limits ("Azure Monitor service limits",
https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits).

`gatewatch plan` counts what the stack adds offline (gatewatch/checks/alert_limits.py); only
the real program can see the rules already there. Under `pulumi preview` and `pulumi up` it
lists them (gatewatch/live/alert_rules.py) and, in the plan's words
(gatewatch/checks/existing_limits.py):
- a crossed limit fails the run before the first registration: `pulumi up` creates nothing,
  rather than stopping half-applied when Azure refuses the rule past the limit;
- a limit nearly reached is a warning;
- a list that cannot be read (no Reader, no network) is one warning naming it, and the run
  goes on: the limits were then checked offline only.
It runs in preview too: a pull request's preview is where the failure is cheap to act on, and
a preview without Reader only warns.

Under the offline mock runtime (`gatewatch plan`, the tests) nothing is read unless a caller
hands a reader in with `reading_rules_with` (the seam the tests point at the ARM stand-in).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings
from pulumi_azure_native import authorization

from components.gateway_alerts import watched_gateways
from components.gateway_lookup import GatewayLookups
from gatewatch.azure import names as azure_names
from gatewatch.catalog.files import parse_duration
from gatewatch.catalog.load import load
from gatewatch.catalog.model import ActivityLogAlertRule, LogSearchAlertRule, MetricAlertRule
from gatewatch.catalog.overrides import apply, deployable
from gatewatch.checks.existing_limits import (
    StackRule,
    StackRules,
    crossed_lines,
    near_lines,
    totals,
    unread_line,
)
from gatewatch.config.azure import AzureConfig
from gatewatch.live.alert_rules import (
    ACTIVITY,
    METRIC,
    SCHEDULED,
    SubscriptionRules,
    read_subscription_rules,
)

RuleReader = Callable[[str], SubscriptionRules]

_readers: list[RuleReader] = []


@contextlib.contextmanager
def reading_rules_with(reader: RuleReader) -> Iterator[None]:
    """Run the program with `reader` for the subscription's rules, mock runtime or not."""
    _readers.append(reader)
    try:
        yield
    finally:
        _readers.pop()


def _reader() -> RuleReader | None:
    if _readers:
        return _readers[-1]
    if isinstance(settings.get_monitor(), pulumi_mocks.MockMonitor):
        return None  # offline: no network, and the plan stays what it was
    return read_subscription_rules


def _rule_id(group_id: str, arm_type: str, name: str) -> str:
    return f"{group_id}/providers/{arm_type}/{name}"


def stack_rules(azure: AzureConfig, lookups: GatewayLookups, subscription: str) -> StackRules:
    """The alert rules the program registers for `azure`, by ARM id, from the same catalog,
    config and lookups the components build them from (a test compares this with the offline
    recording of the example stacks)."""
    group = azure_names.resource_group_id(subscription, azure.resource_group_name)
    found = StackRules(subscription)
    alerts = azure.alerts
    if alerts is None:
        return found
    found.workspace_id = azure_names.workspace_id(azure, subscription)
    found.identity_id = azure_names.identity_id(group, azure_names.ALERTS_COMPONENT)
    features = {"vms"} if azure.vms else set()
    for rule in deployable(apply(load(LogSearchAlertRule), alerts), features):
        found.rules.append(StackRule(
            _rule_id(group, SCHEDULED, azure_names.log_search_alert_name(rule.name)), SCHEDULED,
            one_minute=parse_duration(rule.evaluation_frequency).total_seconds() == 60))
    watched = watched_gateways(azure.gateways, lookups)
    for gateway in watched:
        for metric in apply(load(MetricAlertRule), alerts):
            found.rules.append(StackRule(_rule_id(
                group, METRIC, azure_names.metric_alert_name(metric.name, gateway.name)), METRIC))
    if watched:
        for activity in apply(load(ActivityLogAlertRule), alerts):
            found.rules.append(StackRule(_rule_id(
                group, ACTIVITY, azure_names.activity_alert_name(activity.name)), ACTIVITY))
    # The Service Health and Resource Health alerts (components/gateway_maintenance.py).
    for name in (azure_names.SERVICE_HEALTH_ALERT_NAME, azure_names.RESOURCE_HEALTH_ALERT_NAME):
        found.rules.append(StackRule(_rule_id(group, ACTIVITY, name), ACTIVITY))
    return found


def check_existing_rules(azure: AzureConfig, lookups: GatewayLookups) -> None:
    """Say how the stack fits the limits with the subscription's rules; fail if it cannot.
    Call it before any resource is registered (module docstring)."""
    reader = _reader()
    if reader is None or azure.alerts is None:
        return
    subscription = authorization.get_client_config().subscription_id
    stack = stack_rules(azure, lookups, subscription)
    existing = reader(subscription)
    unread = unread_line(existing)
    if unread:
        pulumi.log.warn(unread)
    found = totals(stack, existing)
    for line in near_lines(found):
        pulumi.log.warn(line)
    crossed = crossed_lines(found)
    if crossed:
        # RunError: the engine prints the message alone, before anything was registered.
        raise pulumi.RunError("Azure Monitor's alert limits, with the rules the subscription "
                              "already has:\n" + "\n".join(crossed))


__all__ = ["RuleReader", "check_existing_rules", "reading_rules_with", "stack_rules"]
