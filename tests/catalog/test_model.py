"""The typed entries: one kind per folder, snake_case fields whose aliases are the files' keys,
and a `kind` that tells them apart wherever entries of several kinds travel together."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter

from gatewatch.catalog.load import load
from gatewatch.catalog.model import (
    ActivityLogAlertRule,
    Entry,
    InsightsQuery,
    LogSearchAlertRule,
    MetricAlertRule,
    SavedQuery,
)

KINDS: list[Any] = [LogSearchAlertRule, MetricAlertRule, ActivityLogAlertRule, SavedQuery,
                    InsightsQuery]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_entry_round_trips_through_the_kind_discriminator(kind: Any) -> None:
    entries = load(kind)
    assert entries
    adapter: TypeAdapter[Any] = TypeAdapter(Entry)
    for entry in entries:
        dumped = entry.model_dump(by_alias=True)
        assert dumped["kind"] == kind.model_fields["kind"].default
        again = adapter.validate_python(dumped, strict=False)
        assert type(again) is kind and again == entry, entry.name


def test_the_aliases_are_the_files_keys() -> None:
    for rule in load(LogSearchAlertRule):
        keys = set(yaml.safe_load(rule.source.read_text("utf-8")))
        dumped = set(rule.model_dump(by_alias=True, exclude={"kind", "source"}))
        assert keys <= dumped, sorted(keys - dumped)
    (metric,) = [r for r in load(MetricAlertRule) if r.name == "bgp-peer-status"]
    assert metric.metric_name == "BgpPeerStatus" and metric.display_name
    assert metric.model_dump(by_alias=True)["criterion"] == {
        "type": "StaticThresholdCriterion", "operator": "LessThan", "threshold": 1,
        "alertSensitivity": None, "numberOfEvaluationPeriods": None,
        "minFailingPeriodsToAlert": None}
