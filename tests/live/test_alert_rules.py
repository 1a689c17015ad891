"""The subscription's alert rules, read with azure-mgmt-monitor from the ARM stand-in: every
page of the paged lists, what each rule counts by, and a list ARM refuses named, not a crash."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gatewatch.live.alert_rules import (
    ACTIVITY,
    METRIC,
    SCHEDULED,
    read_subscription_rules,
)
from tests.support.live_world import azure_standin
from tests.support.standins.azure import AzureStandIn
from tests.support.standins.azure_rules import activity_log_alert, log_search_alert, metric_alert

SUB = "11111111-2222-3333-4444-555555555555"
OTHER_SUB = "99999999-8888-7777-6666-555555555555"
WS = (f"/subscriptions/{SUB}/resourceGroups/rg-logs/providers/"
      "Microsoft.OperationalInsights/workspaces/log-shared")
IDENTITY = (f"/subscriptions/{SUB}/resourceGroups/rg-ops/providers/"
            "Microsoft.ManagedIdentity/userAssignedIdentities/id-ops")


@pytest.fixture
def arm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AzureStandIn]:
    with azure_standin(tmp_path, monkeypatch) as (standin, _):
        yield standin


def lists(standin: AzureStandIn, arm_type: str) -> int:
    """How many requests went to one of the subscription's rule lists (pages included)."""
    return sum(1 for _, path in standin.requests
               if path.lower() == f"/subscriptions/{SUB}/providers/{arm_type}".lower())


def test_every_page_of_each_list_is_read(arm: AzureStandIn) -> None:
    arm.page_size = 7
    for i in range(30):
        metric_alert(arm, SUB, "rg-a", f"metric-{i}")
    for i in range(23):
        activity_log_alert(arm, SUB, "rg-a", f"activity-{i}")
    for i in range(17):
        log_search_alert(arm, SUB, "rg-a", f"log-{i}", every="PT1M" if i < 5 else "PT5M")
    metric_alert(arm, OTHER_SUB, "rg-a", "elsewhere")  # another subscription: not listed

    found = read_subscription_rules(SUB)

    assert found.unread == []
    by_type = {t: [r for r in found.rules if r.type == t] for t in (METRIC, ACTIVITY, SCHEDULED)}
    assert [len(by_type[t]) for t in (METRIC, ACTIVITY, SCHEDULED)] == [30, 23, 17]
    assert sum(r.one_minute for r in by_type[SCHEDULED]) == 5
    # 2018-03-01 metric alerts are one answer; the other two in pages of 7.
    assert lists(arm, "Microsoft.Insights/metricAlerts") == 1
    assert lists(arm, "Microsoft.Insights/activityLogAlerts") == 4  # 7+7+7+2
    assert lists(arm, "Microsoft.Insights/scheduledQueryRules") == 3  # 7+7+3


def test_a_log_search_alert_carries_its_scopes_and_identity(arm: AzureStandIn) -> None:
    log_search_alert(arm, SUB, "rg-ops", "on-ws", scope=WS, identity=IDENTITY)
    log_search_alert(arm, SUB, "rg-ops", "to-metric", kind="LogToMetric")

    found = read_subscription_rules(SUB)

    assert len(found.rules) == 1, "a LogToMetric rule is no log alert"
    (rule,) = found.rules
    assert rule.scopes == (WS,) and rule.identities == (IDENTITY,)
    assert not rule.one_minute


def test_a_refused_list_is_named_and_the_others_are_still_read(arm: AzureStandIn) -> None:
    metric_alert(arm, SUB, "rg-a", "m")
    log_search_alert(arm, SUB, "rg-a", "l")
    arm.forbidden.add(f"/subscriptions/{SUB}/providers/microsoft.insights/activitylogalerts")

    found = read_subscription_rules(SUB)

    assert [r.type for r in found.rules] == [METRIC, SCHEDULED]
    assert len(found.unread) == 1
    assert found.unread[0].startswith("activity log alerts (HTTP 403 AuthorizationFailed: ")
    assert "does not have authorization" in found.unread[0]


def test_no_login_names_every_list_once_and_reads_nothing(
        arm: AzureStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDENTITY_HEADER", "wrong")  # the token endpoint refuses it

    found = read_subscription_rules(SUB)

    assert found.rules == []
    assert len(found.unread) == 1
    assert found.unread[0].startswith("metric alerts, activity log alerts, log search alerts (")
    assert "no Azure credential: run `az login`" in found.unread[0]
    assert lists(arm, "Microsoft.Insights/metricAlerts") == 0


def test_a_metric_list_that_pages_against_its_definition_is_said_to_be_short(
        arm: AzureStandIn) -> None:
    arm.page_size, arm.metric_alerts_paged = 5, True
    for i in range(8):
        metric_alert(arm, SUB, "rg-a", f"metric-{i}")

    found = read_subscription_rules(SUB)

    assert len(found.rules) == 5  # the SDK reads the first answer only
    assert found.unread == ["metric alerts after the first 5 (ARM sent a nextLink, which "
                            "api-version 2018-03-01 does not define)"]
