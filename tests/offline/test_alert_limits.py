"""The plan counts the stack's alert rules against Azure Monitor's limits ("Azure Monitor service
limits", https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits) and fails
on a crossed one; it estimates the worst-case mail rate per address.

Crossing a limit takes thousands of rules: building 630 gateways under the mock runtime is slow,
so the counting is tested over synthetic resources shaped as the program registers them, the
section over a synthetic recording, and one real plan shows the under-limit output.
"""

from __future__ import annotations

from typing import Any

import pytest

from gatewatch.azure import limits as L
from gatewatch.checks.alert_limits import count_limits, mail_rates, minutes
from gatewatch.checks.model import UNKNOWN, Resource
from gatewatch.config.model import parse_config
from gatewatch.offline.plan import Plan, render_json, render_text
from gatewatch.offline.recording import RecordedCall, Recording
from gatewatch.offline.sections import PlanContext, alert_limits_section
from tests.support import graph
from tests.support.example_plans import built_plan, uses_example_plans
from tests.support.stacks import SUB, base_config, gateway_id

OTHER_SUB = "99999999-8888-7777-6666-555555555555"
METRIC = "azure-native:monitor:MetricAlert"
ACTIVITY = "azure-native:monitor:ActivityLogAlert"
LOG = "azure-native:monitor:ScheduledQueryRule"
GROUP_URN = "urn:pulumi:t::gatewatch::azure-native:monitor:ActionGroup::ag"
WORKSPACE_URN = "urn:pulumi:t::gatewatch::azure-native:operationalinsights:Workspace::ws"
IDENTITY_URN = "urn:pulumi:t::gatewatch::azure-native:managedidentity:UserAssignedIdentity::id"
METRIC_RULES_PER_GATEWAY = 8  # alerts/metric/*.yaml


def rule(type_: str, name: str, **inputs: Any) -> Resource:
    deps = {"actions": [GROUP_URN]}
    if type_ == LOG:
        deps |= {"scopes": [WORKSPACE_URN], "identity": [IDENTITY_URN]}
    return Resource(urn=f"urn:pulumi:t::gatewatch::{type_}::{name}", type=type_, name=name,
                    inputs={"enabled": True, "actions": {"actionGroups": [UNKNOWN]}, **inputs},
                    property_dependencies=deps)


def metric_alerts(gateways: int) -> list[Resource]:
    """One metric alert per gateway and rule class, as components/gateway_alerts.py makes them."""
    return [rule(METRIC, f"gateway-alerts-rg-gw{g}-rule{r}", evaluationFrequency="PT5M",
                 scopes=[gateway_id("rg", f"gw{g}")])
            for g in range(gateways) for r in range(METRIC_RULES_PER_GATEWAY)]


def log_alerts(count: int, every: str = "PT5M") -> list[Resource]:
    return [rule(LOG, f"log-{every}-{i}", evaluationFrequency=every, scopes=[UNKNOWN],
                 identity={"type": "UserAssigned", "userAssignedIdentities": [UNKNOWN]})
            for i in range(count)]


def action_group(*emails: str) -> Resource:
    return Resource(urn=GROUP_URN, type="azure-native:monitor:ActionGroup", name="ag",
                    inputs={"actionGroupName": "ag-vpn-alerts",
                            "emailReceivers": [{"name": f"e{i}", "emailAddress": e}
                                               for i, e in enumerate(emails)]})


def counted(report: Any, limit: L.Limit, where: str = SUB) -> int:
    (found,) = [c.count for c in report.counts if c.limit is limit and c.where == where]
    return int(found)


def test_630_gateways_cross_the_metric_alert_limit_of_one_subscription() -> None:
    under = count_limits(metric_alerts(625), SUB)
    assert counted(under, L.METRIC_ALERTS) == 5000 and not under.crossed
    report = count_limits(metric_alerts(630), SUB)
    assert counted(report, L.METRIC_ALERTS) == 5040
    assert [c.limit for c in report.crossed] == [L.METRIC_ALERTS]


def test_a_rule_counts_in_its_own_subscription_when_its_id_is_known() -> None:
    rules = metric_alerts(630)
    for r in rules[:100]:  # a stack export knows the ids: these live in another subscription
        r.id = (f"/subscriptions/{OTHER_SUB}/resourceGroups/rg-gatewatch/providers/"
                f"Microsoft.Insights/metricAlerts/{r.name}")
    report = count_limits(rules, SUB)
    assert counted(report, L.METRIC_ALERTS) == 4940
    assert counted(report, L.METRIC_ALERTS, OTHER_SUB) == 100
    assert not report.crossed


def test_activity_log_alerts_over_100_cross_a_limit_that_cannot_be_raised() -> None:
    # The kit's activity log alerts do not scale with gateways (one rule over all the watched
    # gateways, test below): 101 is many stacks' worth, or other rules in the subscription.
    alerts = [rule(ACTIVITY, f"activity-{i}", scopes=[f"/subscriptions/{SUB}"])
              for i in range(101)]
    report = count_limits(alerts, SUB)
    (crossed,) = report.crossed
    assert crossed.limit is L.ACTIVITY_LOG_ALERTS and crossed.count == 101
    assert not L.ACTIVITY_LOG_ALERTS.increasable and "cannot be raised" in crossed.limit.fix
    assert not count_limits(alerts[:100], SUB).crossed


def test_activity_log_alerts_are_one_per_rule_over_all_the_watched_gateways() -> None:
    config = base_config()
    azure = config["gatewatch:azure"]
    azure["gateways"] = [{"id": gateway_id("rg-hub", f"vpngw-{i}"), "vpnType": "RouteBased"}
                         for i in range(5)]
    azure["alerts"] = {"emails": ["netops@example.com"]}
    rec = graph.plan(config)
    activity = rec.by_type(ACTIVITY)
    assert len(rec.by_type(METRIC)) == 5 * METRIC_RULES_PER_GATEWAY
    assert len(activity) == 4  # deleted, config written, Service Health, Resource Health
    watched = rec.one(ACTIVITY, "gateway-alerts-gateway-deleted").inputs["condition"]["allOf"][-1]
    assert len(watched["anyOf"]) == 5


def test_log_search_alerts_at_a_1_minute_frequency_are_counted_apart() -> None:
    report = count_limits(log_alerts(101, "PT1M") + log_alerts(200), SUB)
    assert counted(report, L.LOG_ALERTS) == 301
    assert counted(report, L.LOG_ALERTS_ONE_MINUTE) == 101
    assert [c.limit for c in report.crossed] == [L.LOG_ALERTS_ONE_MINUTE]
    assert minutes("PT1M") == 1 and minutes("PT1H") == 60 and minutes("P1D") == 1440


def test_log_search_alerts_per_resource_and_per_identity_on_a_workspace() -> None:
    report = count_limits(log_alerts(501), SUB)
    (per_identity,) = report.crossed
    assert per_identity.limit is L.LOG_ALERTS_PER_IDENTITY and per_identity.count == 501
    assert per_identity.where == "id on ws"  # the identity and workspace, named from the graph
    report = count_limits(log_alerts(1001), SUB)
    assert {c.limit for c in report.crossed} == {L.LOG_ALERTS_PER_IDENTITY,
                                                  L.LOG_ALERTS_PER_RESOURCE}


def test_the_mail_rate_is_one_mail_per_evaluation_per_enabled_rule() -> None:
    rules = [rule(METRIC, f"m{i}", evaluationFrequency="PT5M") for i in range(8)]  # 96/h
    rules.append(rule(METRIC, "off", evaluationFrequency="PT1M", enabled=False))  # mails none
    rules.append(rule(LOG, "muted", evaluationFrequency="PT5M", muteActionsDuration="PT1H"))
    rules.append(rule(ACTIVITY, "event"))
    (rate,) = mail_rates([action_group("netops@example.com"), *rules])
    assert rate.per_hour == pytest.approx(97) and not rate.over
    assert rate.event_rules == ["event"]
    rules.append(rule(LOG, "every-minute", evaluationFrequency="PT1M"))
    (rate,) = mail_rates([action_group("netops@example.com"), *rules])
    assert rate.per_hour == pytest.approx(157) and rate.over


def _section(resources: list[Resource]) -> Any:
    config = base_config()
    calls = [RecordedCall("azure-native:authorization:getClientConfig", {},
                          {"subscriptionId": SUB}, "client config")]
    ctx = PlanContext(stack="t", config=parse_config(config), raw_config=config,
                      recording=Recording("t", True, resources, calls))
    return alert_limits_section(ctx)


def test_a_crossed_limit_fails_the_plan_with_the_limit_its_document_and_the_fix() -> None:
    section = _section([action_group("netops@example.com"), *metric_alerts(630)])
    assert section.failed
    (line,) = [line for line in section.lines if line.startswith("LIMIT")]
    assert line.startswith(f"LIMIT metric alerts: 5,040 in subscription {SUB}, over 5,000")
    assert L.SOURCE in line and "gatewatch:azure.alerts.disabled" in line
    assert section.data["crossed"] == ["metricAlerts"]
    assert any(line.startswith("mail to netops@example.com: up to ") for line in section.lines)
    assert any("that bound is above Azure's 100 mails an hour" in line for line in section.lines)
    assert not any(line.startswith("WARNING") for line in section.lines)  # a bound, not a warning
    assert any("rules already in the subscription count too" in line for line in section.lines)


@uses_example_plans
def test_a_small_stack_is_under_every_limit_and_the_plan_shows_its_counts() -> None:
    plan: Plan = built_plan("dev")
    (section,) = [s for s in plan.sections if s.key == "alertLimits"]
    assert not section.failed and not section.data["crossed"]
    text = render_text(plan)
    assert "Azure Monitor limits (what this stack adds, per subscription):" in text
    assert (f"subscription {SUB}: metric alerts 16 of 5,000; activity log alerts 4 of 100; "
            "log search alerts 5 of 5,000; log search alerts at a 1-minute frequency 1 of 100"
            in text)
    assert render_json(plan)["alertLimits"]["source"] == L.SOURCE


def test_the_section_does_not_depend_on_the_order_resources_were_registered() -> None:
    # The runtime registers resources in an order that varies between runs; the plan's text
    # and JSON must not (a golden plan once differed between two runs of the same stack).
    resources = [action_group("netops@example.com"), *metric_alerts(5)]
    forward, backward = _section(resources), _section(list(reversed(resources)))
    assert forward.lines == backward.lines and forward.data == backward.data
