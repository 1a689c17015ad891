"""The one loader: every kind from its folder, sorted by name, ids and names unique (within a
kind, and across the three kinds of alert, which config addresses by name)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from gatewatch.catalog.load import alert_names, load
from gatewatch.catalog.model import LogSearchAlertRule, SavedQuery
from gatewatch.catalog.rules import ALERT_KEYS
from gatewatch.errors import BadInput
from tests.support.catalog import expect_error, raw_alert, write

REQUIRED = {"gateway-maintenance", "tunnel-drop", "bgp-peer-drop", "ike-negotiation-failure"}


def test_catalog_has_the_required_alerts_in_key_order() -> None:
    rules = load(LogSearchAlertRule)
    assert {r.name for r in rules} >= REQUIRED
    for rule in rules:
        keys = list(yaml.safe_load(rule.source.read_text("utf-8")))
        assert keys == [k for k in ALERT_KEYS if k in keys], rule.source


def test_saved_queries_load() -> None:
    names = {q.name for q in load(SavedQuery)}
    assert {"maintenance-by-gateway", "tunnel-history", "ike-parse", "p2s-log",
            "route-bgp-history", "gateway-diagnostic-log"} <= names


def test_duplicate_id(tmp_path: Path) -> None:
    first = raw_alert("gateway-maintenance")
    second = raw_alert("bgp-peer-drop")
    second["id"] = first["id"]
    write(tmp_path, first)
    expect_error(tmp_path, second, "id", "duplicate id")


def test_name_must_match_file(tmp_path: Path) -> None:
    data = raw_alert()
    path = write(tmp_path, data, stem="other")
    with pytest.raises(BadInput, match=rf"{path}: name: .*file name"):
        load(LogSearchAlertRule, tmp_path)


def test_copy_of_valid_alert_loads(tmp_path: Path) -> None:
    """The negative cases start from a file that is itself valid."""
    write(tmp_path, copy.deepcopy(raw_alert()))
    assert [r.name for r in load(LogSearchAlertRule, tmp_path)] == ["gateway-maintenance"]


def test_alert_names_are_unique_across_the_three_catalogs() -> None:
    names, with_severity = alert_names()
    assert {"tunnel-drop", "bgp-peer-status", "gateway-deleted"} <= names
    assert "gateway-deleted" not in with_severity
