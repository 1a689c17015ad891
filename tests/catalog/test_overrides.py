"""`apply`: gatewatch:azure.alerts disables and re-severities rules of every kind; names and
severities are checked once, by the config model."""

from __future__ import annotations

from typing import Any

import pytest

from gatewatch.catalog.load import load
from gatewatch.catalog.model import ActivityLogAlertRule, LogSearchAlertRule, MetricAlertRule
from gatewatch.catalog.overrides import apply
from gatewatch.config.alerts import AlertsConfig
from gatewatch.config.model import parse_config
from gatewatch.errors import BadInput
from tests.support.stacks import with_alerts


def alerts_config(**alerts: Any) -> AlertsConfig:
    azure = parse_config(with_alerts(**alerts)).azure
    assert azure is not None and azure.alerts is not None
    return azure.alerts


def test_apply_disables_and_sets_severity() -> None:
    rules = load(LogSearchAlertRule)
    result = apply(rules, alerts_config(disabled=["bgp-peer-drop"],
                                        severities={"tunnel-drop": 1}))
    by_name = {r.name: r for r in result}
    assert by_name["bgp-peer-drop"].enabled is False
    assert by_name["tunnel-drop"].severity == 1
    untouched = {r.name: r for r in rules}["gateway-maintenance"]
    assert by_name["gateway-maintenance"] == untouched
    assert {r.name: r for r in rules}["tunnel-drop"].severity == 2, "input not mutated"


def test_one_config_serves_every_kind_of_alert() -> None:
    config = alerts_config(disabled=["bgp-peer-status", "gateway-deleted", "tunnel-drop"],
                           severities={"tunnel-bandwidth-idle": 4})
    metric = {r.name: r for r in apply(load(MetricAlertRule), config)}
    assert metric["bgp-peer-status"].enabled is False
    assert metric["tunnel-bandwidth-idle"].severity == 4
    activity = {r.name: r for r in apply(load(ActivityLogAlertRule), config)}
    assert activity["gateway-deleted"].enabled is False
    assert activity["gateway-config-written"].enabled is True
    log = {r.name: r for r in apply(load(LogSearchAlertRule), config)}
    assert log["tunnel-drop"].enabled is False


def test_unknown_names_are_rejected_where_config_is_read() -> None:
    with pytest.raises(BadInput, match=r"'tunnel-drops' is not an alert of the catalog"):
        alerts_config(disabled=["tunnel-drops"])
    with pytest.raises(BadInput, match=r"'nope' is not an alert of the catalog"):
        alerts_config(severities={"nope": 1})


def test_a_bad_severity_is_rejected_where_config_is_read() -> None:
    with pytest.raises(BadInput, match="from 0 to 4"):
        alerts_config(severities={"tunnel-drop": 7})
