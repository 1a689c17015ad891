"""The real program with the rules its subscription already has: read from the ARM stand-in
through the program's seam (`reading_rules_with`), with the real azure-mgmt-monitor reader.

The activity log alert limit (100 per subscription, "Azure Monitor service limits",
https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits) is the one a
subscription reaches with few rules, so the stand-in holds tens of rules, not thousands.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import RunError

from components.existing_rules import reading_rules_with, stack_rules
from components.gateway_lookup import gateways_to_look_up, lookup_gateways
from gatewatch.azure import limits as L
from gatewatch.azure import names as azure_names
from gatewatch.checks.alert_limits import count_limits
from gatewatch.checks.existing_limits import StackRule
from gatewatch.config.model import from_pulumi
from gatewatch.config.stack_file import load_stack_file
from gatewatch.live.alert_rules import ACTIVITY, METRIC, SCHEDULED, read_subscription_rules
from gatewatch.offline import runtime
from gatewatch.offline.recording import Recording
from gatewatch.paths import PROJECT_ROOT
from tests.support import graph
from tests.support.live_world import azure_standin
from tests.support.stacks import SUB, base_config, estate_config
from tests.support.standins.azure import AzureStandIn
from tests.support.standins.azure_rules import activity_log_alert

RG = "rg-gatewatch-test"  # base_config's resourceGroupName
STACK_ACTIVITY_ALERTS = 4  # alerts/activity/*.yaml (2) + Service Health + Resource Health
LIST_PATHS = {f"/subscriptions/{SUB}/providers/Microsoft.Insights/{t}".lower()
              for t in ("metricAlerts", "activityLogAlerts", "scheduledQueryRules")}


def config() -> dict[str, Any]:
    raw = base_config()
    raw["gatewatch:azure"]["alerts"] = {"emails": ["netops@example.com"]}
    return raw


@pytest.fixture
def arm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AzureStandIn]:
    with azure_standin(tmp_path, monkeypatch) as (standin, _):
        yield standin


@pytest.fixture
def recordings(monkeypatch: pytest.MonkeyPatch) -> list[Recording]:
    """Every recording the runs make, kept even when the program fails."""
    kept: list[Recording] = []

    def keeping(*args: Any, **kwargs: Any) -> Recording:
        kept.append(Recording(*args, **kwargs))
        return kept[-1]

    monkeypatch.setattr(runtime, "Recording", keeping)
    return kept


def others(standin: AzureStandIn, count: int) -> None:
    """`count` activity log alerts another team keeps in the subscription."""
    for i in range(count):
        activity_log_alert(standin, SUB, "rg-other-team", f"other-{i}")


def run_with_subscription_rules() -> Recording:
    with reading_rules_with(read_subscription_rules):
        return graph.plan(config())


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_crossed_limit_fails_before_anything_is_registered(
        arm: AzureStandIn, recordings: list[Recording]) -> None:
    others(arm, 97)

    with pytest.raises(RunError) as info:
        run_with_subscription_rules()

    message = str(info.value)
    assert message.splitlines() == [
        "Azure Monitor's alert limits, with the rules the subscription already has:",
        f"LIMIT activity log alerts: 101 in subscription {SUB} (4 this stack adds + 97 already "
        f"there, not this stack's), over 100 ({L.DOCUMENT}: \"{L.ACTIVITY_LOG_ALERTS.quote}\"); "
        f"fix: {L.ACTIVITY_LOG_ALERTS.fix}"]
    assert recordings and recordings[-1].resources == [], "nothing may be registered"


def test_near_a_limit_warns_and_deploys(arm: AzureStandIn,
                                        caplog: pytest.LogCaptureFixture) -> None:
    others(arm, 90)

    rec = run_with_subscription_rules()

    assert rec.by_type("azure-native:monitor:ActivityLogAlert")
    assert warnings(caplog) == [
        f"NEAR LIMIT activity log alerts: 94 of 100 in subscription {SUB} (4 this stack adds + "
        f"90 already there, not this stack's), 6 left ({L.DOCUMENT}: "
        f"\"{L.ACTIVITY_LOG_ALERTS.quote}\"); if it grows: {L.ACTIVITY_LOG_ALERTS.fix}"]


def test_a_rerun_does_not_count_the_stacks_own_rules_twice(
        arm: AzureStandIn, caplog: pytest.LogCaptureFixture) -> None:
    """The stack's 4 activity log alerts are already deployed (as ARM lists them, in lower
    case): 96 others + 4 is 100, at the limit, not over it; counted twice it would be 104."""
    others(arm, 96)
    for name in ("gateway-deleted", "gateway-config-written"):
        activity_log_alert(arm, SUB, RG.upper(), azure_names.activity_alert_name(name))
    for name in (azure_names.SERVICE_HEALTH_ALERT_NAME, azure_names.RESOURCE_HEALTH_ALERT_NAME):
        activity_log_alert(arm, SUB, RG, name, category="ServiceHealth")

    run_with_subscription_rules()

    assert [w.split(":")[0] for w in warnings(caplog)] == ["NEAR LIMIT activity log alerts"]
    assert "100 of 100" in warnings(caplog)[0] and "4 this stack adds + 96 already" in \
        warnings(caplog)[0]


def test_a_refused_read_is_one_warning_and_the_deploy_goes_on(
        arm: AzureStandIn, caplog: pytest.LogCaptureFixture) -> None:
    others(arm, 97)  # over the limit, but the list that would say so is refused
    arm.forbidden |= LIST_PATHS

    rec = run_with_subscription_rules()

    assert rec.by_type("azure-native:monitor:ActivityLogAlert")
    (warning,) = warnings(caplog)
    assert warning.startswith(f"could not read the alert rules subscription {SUB} already has: "
                              "metric alerts (HTTP 403 AuthorizationFailed: ")
    assert "; activity log alerts (HTTP 403" in warning and "; log search alerts (HTTP 403" \
        in warning
    assert "were checked offline only" in warning and "Reader" in warning


def test_the_offline_runtime_reads_nothing_without_the_seam(arm: AzureStandIn) -> None:
    others(arm, 97)  # would fail the run if it were read

    graph.plan(config())

    assert not [p for _, p in arm.requests if p.lower() in LIST_PATHS]


def raw_config(stack: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A stack's `config:` map and the offline lookups' answers."""
    if stack in ("dev", "prod"):
        return load_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml")[1], {}
    lookups = {"rg-hub/vpngw-hub": {"tags": {"MonitorDisable": "true"}}} \
        if stack == "opted-out" else {}
    return estate_config(), lookups


@pytest.mark.parametrize("stack", ["dev", "prod", "estate", "opted-out"])
def test_the_rules_counted_before_registration_are_the_rules_registered(stack: str) -> None:
    """stack_rules derives the rules from the catalog, config and lookups as the components
    do; the program's own registrations are the judge (type, name, 1-minute count)."""
    raw, lookups = raw_config(stack)
    rec = graph.plan(raw, offline_lookups=lookups)
    found: list[StackRule] = []

    def program() -> None:
        azure = from_pulumi().azure
        assert azure is not None
        found.extend(stack_rules(azure, lookup_gateways(gateways_to_look_up(azure)), SUB).rules)

    graph.plan(raw, offline_lookups=lookups, program=program)
    names = {METRIC: "ruleName", ACTIVITY: "activityLogAlertName", SCHEDULED: "ruleName"}
    tokens = {METRIC: L.METRIC_ALERT_TYPES[0], ACTIVITY: L.ACTIVITY_LOG_ALERT_TYPES[0],
              SCHEDULED: "azure-native:monitor:ScheduledQueryRule"}
    counted = sorted((r.type, r.id.rsplit("/", 1)[1]) for r in found)
    registered = sorted((kind, str(r.inputs[names[kind]]))
                        for kind, token in tokens.items() for r in rec.by_type(token))
    assert counted == registered and counted
    one_minute = next(c.count for c in count_limits(rec.resources).counts
                      if c.limit is L.LOG_ALERTS_ONE_MINUTE)
    assert sum(r.one_minute for r in found) == one_minute
