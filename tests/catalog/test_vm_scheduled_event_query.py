"""The vm-scheduled-event query: Kusto language service check, then executed with duckdb-kql
over Event rows shaped as AzureScheduledEventsService writes them (SchService.ps1:
`$event | ConvertTo-Json` into the Application log, source AzureScheduledEvents, EventID 1234),
for two VMs, next to rows the rule must ignore. And the notice budget the plan prints."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from gatewatch.azure import facts as azure_facts
from gatewatch.catalog.load import load
from gatewatch.catalog.model import LogSearchAlertRule
from gatewatch.kql.execute import evaluation_times, run_query
from tests.support.example_plans import built_plan, uses_example_plans
from tests.support.kql import DeployedKql, deployed_kql  # noqa: F401 (a fixture)

T0 = dt.datetime(2024, 2, 21, 2, 53, 5, tzinfo=dt.UTC)
AGENT_LAG = dt.timedelta(seconds=75)  # AMA upload + ingestion, within the documented 30 s-2 min
Row = dict[str, Any]


@pytest.fixture(scope="module")
def rule() -> LogSearchAlertRule:
    return {r.name: r for r in load(LogSearchAlertRule)}["vm-scheduled-event"]


def ps_json(event_id: str, event_type: str, resources: list[str], not_before: str,
            status: str = "Scheduled") -> str:
    """Windows PowerShell 5.1 ConvertTo-Json output: CRLF, ':  ', lists over several lines."""
    listed = ",\r\n".join(f'                      "{r}"' for r in resources)
    return ("{\r\n"
            f'    "EventId":  "{event_id}",\r\n'
            f'    "EventStatus":  "{status}",\r\n'
            f'    "EventType":  "{event_type}",\r\n'
            '    "ResourceType":  "VirtualMachine",\r\n'
            f'    "Resources":  [\r\n{listed}\r\n                  ],\r\n'
            f'    "NotBefore":  "{not_before}",\r\n'
            '    "Description":  "Virtual machine is going to be redeployed.",\r\n'
            '    "EventSource":  "User",\r\n'
            '    "DurationInSeconds":  -1\r\n'
            "}")


def event(vm: str, text: str, offset: dt.timedelta = dt.timedelta(0), event_id: int = 1234,
          source: str = "AzureScheduledEvents", lag: dt.timedelta = AGENT_LAG) -> Row:
    return {"TimeGenerated": T0 + offset, "$IngestionTime": T0 + offset + lag,
            "EventLog": "Application", "Source": source, "EventID": event_id,
            "Computer": vm.upper(), "RenderedDescription": text, "EventLevelName": "Information",
            "_ResourceId": (f"/subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/"
                            f"rg-app/providers/microsoft.compute/virtualmachines/{vm}")}


REDEPLOY = ps_json("A9A902A0-B0EA-4E7C-B970-E734ECF66A35", "Redeploy", ["vm-app-01"],
                   "Wed, 21 Feb 2024 03:08:47 GMT")
REBOOT = ps_json("4CAEA225-A741-474D-A72E-428C86FCD853", "Reboot", ["vm-app-02", "vm-app-03"],
                 "Wed, 21 Feb 2024 03:09:10 GMT")
APPROVAL = ('{\r\n    "StartRequests":  [\r\n   {\r\n "EventId":  '
            '"A9A902A0-B0EA-4E7C-B970-E734ECF66A35"\r\n }\r\n ],\r\n'
            '    "DocumentIncarnation":  1\r\n}')


def rows() -> list[Row]:
    return [
        event("vm-app-01", REDEPLOY),
        event("vm-app-02", REBOOT, dt.timedelta(seconds=20)),
        # Ignored: the service's own lifecycle events, an approval document written by an
        # unpatched service, and another application's EventID 1234.
        event("vm-app-01", "SchService.ps1 -Service # Beginning background job", event_id=1005,
              source="SchService"),
        event("vm-app-01", APPROVAL, dt.timedelta(seconds=1)),
        event("vm-app-02", '{"EventType": "Reboot"}', source="ContosoBackup"),
        event("vm-app-02", "Service started", dt.timedelta(seconds=5), event_id=7036,
              source="Service Control Manager"),
    ]


def test_query_passes_the_language_service(
        rule: LogSearchAlertRule, deployed_kql: DeployedKql) -> None:  # noqa: F811
    result = deployed_kql.alerts[rule.name]
    assert result.ok, result.describe()


def test_events_for_two_vms_are_parsed_and_others_ignored(rule: LogSearchAlertRule) -> None:
    result = run_query(rule.query, {"Event": rows()}, T0 + dt.timedelta(minutes=2))
    by_vm = {r["Computer"]: r for r in result}
    assert sorted(by_vm) == ["VM-APP-01", "VM-APP-02"]
    first, second = by_vm["VM-APP-01"], by_vm["VM-APP-02"]
    assert (first["EventType"], first["Resources"], first["NotBefore"]) == (
        "Redeploy", "vm-app-01", "Wed, 21 Feb 2024 03:08:47 GMT")
    assert first["NotBeforeUtc"] == dt.datetime(2024, 2, 21, 3, 8, 47, tzinfo=dt.UTC)
    assert first["NoticeMinutesWhenLogged"] == 15
    assert first["ScheduledEventId"] == "A9A902A0-B0EA-4E7C-B970-E734ECF66A35"
    assert (first["EventStatus"], first["EventSource"]) == ("Scheduled", "User")
    assert first["_ResourceId"].endswith("/virtualmachines/vm-app-01")
    assert (second["EventType"], second["Resources"]) == ("Reboot", "vm-app-02,vm-app-03")
    assert second["NotBeforeUtc"] == dt.datetime(2024, 2, 21, 3, 9, 10, tzinfo=dt.UTC)


def test_every_dimension_is_a_projected_column(rule: LogSearchAlertRule) -> None:
    (row,) = run_query(rule.query, {"Event": rows()[:1]}, T0 + dt.timedelta(minutes=2))
    for column in rule.dimensions:
        assert row[column] not in (None, ""), column


def test_a_row_is_seen_by_every_evaluation_of_its_window_and_no_later(
        rule: LogSearchAlertRule) -> None:
    """Stateful + split by ScheduledEventId makes the repeats one alert; what must hold is that
    the row is visible at all: from its arrival until the 5-minute window has passed it."""
    data = {"Event": [event("vm-app-01", REDEPLOY, lag=dt.timedelta(minutes=2))]}
    seen = [now for now in evaluation_times(T0, T0 + dt.timedelta(minutes=10),
                                            rule.evaluation_interval)
            if run_query(rule.query, data, now)]
    assert seen, "a row 2 minutes late (the documented worst agent latency) must be seen"
    assert seen[0] == T0 + dt.timedelta(minutes=2)
    assert seen[-1] < T0 + rule.window + dt.timedelta(minutes=1)
    # Identical dimension values in each of those evaluations: one stateful alert.
    keys = {tuple(r[d] for d in rule.dimensions) for now in seen
            for r in run_query(rule.query, data, now)}
    assert len(keys) == 1


def test_rule_limits_and_stateful_dedupe(rule: LogSearchAlertRule) -> None:
    assert rule.evaluation_frequency == "PT1M" and rule.window_size == "PT5M"
    assert rule.auto_mitigate is True and rule.requires == ("vms",)
    assert "ScheduledEventId" in rule.dimensions and "_ResourceId" in rule.dimensions


@uses_example_plans
def test_notice_budget_report_adds_up_the_stages() -> None:
    plan = built_plan("dev")
    (report,) = [r for r in plan.sections if r.key == "noticeBudget"]
    data = report.data["vm-scheduled-event"]
    assert data["deployed"] is True
    assert [s["stage"] for s in data["stages"]] == [
        "servicePoll", "agentUpload", "ingestion", "evaluation", "notification"]
    assert all(s["source"] for s in data["stages"])
    assert data["typicalSeconds"] == sum(s["typicalSeconds"] for s in data["stages"])
    assert data["worstSeconds"] == sum(s["worstSeconds"] for s in data["stages"])
    assert data["leftWorstMinutes"] == round((15 * 60 - data["worstSeconds"]) / 60, 2)
    assert 0 < data["leftWorstMinutes"] < data["leftTypicalMinutes"] < 15
    assert data["byEventType"]["Preempt"]["leftWorstSeconds"] == 0
    assert any("notice left of 15 min" in line for line in report.lines)


def test_catalog_rejects_a_budget_that_disagrees_with_the_rule(tmp_path: Path) -> None:
    from tests.support.catalog import expect_error, raw_alert

    data = raw_alert("vm-scheduled-event")
    data["noticeBudget"]["stages"][3]["worstSeconds"] = 300
    expect_error(tmp_path, data, "noticeBudget.stages", "must equal evaluationFrequency")


def test_catalog_rejects_stages_out_of_order_and_unknown_features(tmp_path: Path) -> None:
    from tests.support.catalog import expect_error, raw_alert

    data = raw_alert("vm-scheduled-event")
    data["noticeBudget"]["stages"].reverse()
    expect_error(tmp_path, data, "noticeBudget.stages", "in that order")
    data = raw_alert("vm-scheduled-event")
    data["requires"] = ["containers"]
    other = tmp_path / "requires"
    other.mkdir()
    expect_error(other, data, "requires", "config features from vms")


def test_the_alert_filters_what_the_data_collection_rule_collects(
        rule: LogSearchAlertRule) -> None:
    """The alert keeps the service's source, EventID and log as literals for readability; they
    must be the facts the DCR's XPath query is built from (components/vm_scheduled_events.py)."""
    query = rule.query
    assert f'let ServiceSource = "{azure_facts.SCHEDULED_EVENTS_SOURCE}";' in query
    assert f"let ServiceEventId = {azure_facts.SCHEDULED_EVENTS_EVENT_ID};" in query
    assert f'| where EventLog == "{azure_facts.SCHEDULED_EVENTS_LOG}"' in query
