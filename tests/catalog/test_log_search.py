"""The alert catalog's schema: every rule valid, and each kind of mistake rejected with the
file and key named (Azure's limits for log search alerts)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewatch.catalog.log_search import (
    ALERT_KEYS,
    ALERTS_DIR,
    CatalogError,
    apply_overrides,
    load_catalog,
    load_saved_queries,
    parse_duration,
    projected_columns,
)

REQUIRED = {"gateway-maintenance", "tunnel-drop", "bgp-peer-drop", "ike-negotiation-failure"}


def _raw(name: str = "gateway-maintenance") -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ALERTS_DIR / f"{name}.yaml").read_text("utf-8"))
    return data


def _write(directory: Path, data: dict[str, Any], stem: str | None = None) -> Path:
    path = directory / f"{stem or data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _expect_error(tmp_path: Path, data: dict[str, Any], key: str, words: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    message = str(info.value)
    assert str(path) in message and f": {key}:" in message, message
    assert words in message, message


def test_catalog_has_the_required_alerts_in_key_order() -> None:
    rules = load_catalog()
    assert {r.name for r in rules} >= REQUIRED
    for rule in rules:
        keys = list(yaml.safe_load(rule.source.read_text("utf-8")))
        assert keys == [k for k in ALERT_KEYS if k in keys], rule.source


def _spellings(duration: str) -> set[str]:
    """PT5M -> {"PT5M", "5m", "5 min"}: the ways a tuning text may name a duration."""
    minutes = int(parse_duration(duration).total_seconds() // 60)
    forms = {duration, f"{minutes}m", f"{minutes} min"}
    if minutes % 60 == 0:
        forms |= {f"{minutes // 60}h", f"{minutes // 60} hour"}
    return forms


def test_every_alert_explains_its_numbers() -> None:
    """The tuning text names the rule's own frequency, window and dimensions, so a reader
    learns why each was chosen (a text about another rule's numbers fails)."""
    for rule in load_catalog():
        assert rule.description.startswith("Identifies "), rule.name
        # Tunables first: `let`s, or (time tunables, literal in ago()) a comment naming them.
        assert rule.query.lstrip().startswith(("let ", "//")), f"{rule.name}: tunables first"
        for what, duration in (("evaluationFrequency", rule.evaluationFrequency),
                               ("windowSize", rule.windowSize)):
            assert any(form in rule.tuning for form in _spellings(duration)), (
                f"{rule.name}: tuning does not explain its {what} {duration}")
        for dimension in rule.dimensions:
            assert dimension in rule.tuning, f"{rule.name}: tuning does not explain {dimension}"
        assert "3-10 minutes" in rule.tuning or "30 s" in rule.tuning or (
            "ingestion" in rule.tuning), f"{rule.name}: tuning ignores ingestion delay"


def test_saved_queries_load() -> None:
    names = {q.name for q in load_saved_queries()}
    assert {"maintenance-by-gateway", "tunnel-history", "ike-parse", "p2s-log",
            "route-bgp-history", "gateway-diagnostic-log"} <= names


def test_bad_frequency(tmp_path: Path) -> None:
    data = _raw()
    data["evaluationFrequency"] = "PT7M"
    _expect_error(tmp_path, data, "evaluationFrequency", "not an allowed frequency")


def test_window_shorter_than_frequency(tmp_path: Path) -> None:
    data = _raw()
    data["evaluationFrequency"], data["windowSize"] = "PT15M", "PT5M"
    _expect_error(tmp_path, data, "windowSize", "shorter than evaluationFrequency")


def test_window_over_two_days(tmp_path: Path) -> None:
    data = _raw()
    data["windowSize"] = "P3D"
    _expect_error(tmp_path, data, "windowSize", "2-day")


def test_malformed_duration(tmp_path: Path) -> None:
    data = _raw()
    data["windowSize"] = "15 minutes"
    _expect_error(tmp_path, data, "windowSize", "ISO 8601")


def test_unknown_key(tmp_path: Path) -> None:
    data = _raw()
    data["frequency"] = "PT5M"
    _expect_error(tmp_path, data, "frequency", "unknown key")


def test_missing_key(tmp_path: Path) -> None:
    data = _raw()
    del data["tuning"]
    _expect_error(tmp_path, data, "tuning", "missing required key")


def test_keys_out_of_order(tmp_path: Path) -> None:
    data = _raw()
    reordered = {"name": data.pop("name"), **data}
    _expect_error(tmp_path, reordered, "name", "out of order")


def test_severity_out_of_range(tmp_path: Path) -> None:
    data = _raw()
    data["severity"] = 5
    _expect_error(tmp_path, data, "severity", "0 to 4")


def test_duplicate_id(tmp_path: Path) -> None:
    first = _raw("gateway-maintenance")
    second = _raw("bgp-peer-drop")
    second["id"] = first["id"]
    _write(tmp_path, first)
    _expect_error(tmp_path, second, "id", "duplicate id")


def test_name_must_match_file(tmp_path: Path) -> None:
    data = _raw()
    path = _write(tmp_path, data, stem="other")
    with pytest.raises(CatalogError, match=rf"{path}: name: .*file name"):
        load_catalog(tmp_path)


def test_dimension_not_projected(tmp_path: Path) -> None:
    data = _raw()
    data["dimensions"] = ["Resource", "remoteIP_s"]
    _expect_error(tmp_path, data, "dimensions", "'remoteIP_s' is not a column the query projects")


def test_query_must_end_with_project(tmp_path: Path) -> None:
    data = _raw()
    data["query"] = data["query"].rstrip() + "\n| sort by TimeGenerated asc\n"
    _expect_error(tmp_path, data, "query", "must end with a `| project")


@pytest.mark.parametrize("operator", ["take 10", "limit 10"])
def test_take_at_one_minute(tmp_path: Path, operator: str) -> None:
    data = _raw()
    data["evaluationFrequency"] = "PT1M"
    data["query"] = data["query"].replace(
        "| project TimeGenerated", f"| {operator}\n| project TimeGenerated"
    )
    _expect_error(tmp_path, data, "query", "not support at evaluationFrequency PT1M")


def test_ingestion_time_at_one_minute(tmp_path: Path) -> None:
    data = _raw()
    data["evaluationFrequency"] = "PT1M"
    _expect_error(tmp_path, data, "query", "ingestion_time()")


def test_take_in_a_comment_is_not_an_operator() -> None:
    assert projected_columns("T\n// | take 1\n| project A, B = 2") == ("A", "B")


def test_query_too_long(tmp_path: Path) -> None:
    data = _raw()
    data["query"] = "// " + "x" * 10_000 + "\n" + data["query"]
    _expect_error(tmp_path, data, "query", "limit is 10000")


def test_failing_periods_min_above_number(tmp_path: Path) -> None:
    data = _raw()
    data["trigger"]["failingPeriods"]["minFailingPeriodsToAlert"] = 2
    _expect_error(tmp_path, data, "trigger.failingPeriods.minFailingPeriodsToAlert", "1 to 1")


def test_parse_duration() -> None:
    assert parse_duration("PT5M").total_seconds() == 300
    assert parse_duration("P1DT2H").total_seconds() == 26 * 3600
    with pytest.raises(ValueError):
        parse_duration("PT")


def test_apply_overrides_disables_and_sets_severity() -> None:
    rules = load_catalog()
    result = apply_overrides(rules, {"bgp-peer-drop"}, {"tunnel-drop": 1})
    by_name = {r.name: r for r in result}
    assert by_name["bgp-peer-drop"].enabled is False
    assert by_name["tunnel-drop"].severity == 1
    untouched = {r.name: r for r in rules}["gateway-maintenance"]
    assert by_name["gateway-maintenance"] == untouched
    assert {r.name: r for r in rules}["tunnel-drop"].severity == 2, "input not mutated"


def test_apply_overrides_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match=r"unknown alert name.*tunnel-drops"):
        apply_overrides(load_catalog(), {"tunnel-drops"}, {})
    with pytest.raises(ValueError, match=r"unknown alert name.*nope"):
        apply_overrides(load_catalog(), set(), {"nope": 1})


def test_apply_overrides_rejects_bad_severity() -> None:
    with pytest.raises(ValueError, match="0-4"):
        apply_overrides(load_catalog(), set(), {"tunnel-drop": 7})


def test_copy_of_valid_alert_loads(tmp_path: Path) -> None:
    """The negative cases above start from a file that is itself valid."""
    _write(tmp_path, copy.deepcopy(_raw()))
    assert [r.name for r in load_catalog(tmp_path)] == ["gateway-maintenance"]


def test_every_shipped_alert_calls_ago_with_a_literal() -> None:
    from gatewatch.catalog.log_search import non_literal_ago

    for rule in load_catalog():
        assert "ago(" in rule.query, rule.name
        assert non_literal_ago(rule.query) == [], rule.name


def test_non_literal_ago_is_rejected_with_file_and_line(tmp_path: Path) -> None:
    source = (ALERTS_DIR / "gateway-maintenance.yaml").read_text("utf-8")
    lines = source.splitlines()
    target = next(i for i, line in enumerate(lines) if "ago(1h)" in line)
    lines.insert(target, "  let Lookback = 1h;")
    lines[target + 1] = lines[target + 1].replace("ago(1h)", "ago(Lookback)")
    path = tmp_path / "gateway-maintenance.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{path}:{target + 2}: query: ago(Lookback)"), message
    assert "timespan literals only" in message


def test_ago_literals_and_non_literals_are_told_apart() -> None:
    from gatewatch.catalog.log_search import non_literal_ago

    assert non_literal_ago("T | where a > ago(5m) and b < ago(1.5h) // ago(x)\n"
                           "| where c > ago(time(1.00:00:00))") == []
    assert non_literal_ago("T\n| where a > ago(A + B)\n| where b > ago(toscalar(x))") == [
        (2, "A + B"), (3, "toscalar(x)")]


def test_the_fast_yaml_loader_reads_every_catalog_file_as_pyyamls_own_does() -> None:
    """_read parses with libyaml (CSafeLoader) for speed; the values must be those of the pure
    SafeLoader, the loader the catalog was written against."""
    from gatewatch.catalog.log_search import _FAST_LOADER, QUERIES_DIR, _read

    assert _FAST_LOADER is yaml.CSafeLoader, "libyaml missing: the catalog loads 10x slower"
    files = sorted(ALERTS_DIR.rglob("*.yaml")) + sorted(QUERIES_DIR.rglob("*.yaml"))
    assert len(files) >= 20
    for path in files:
        text = path.read_text("utf-8")
        pure = yaml.load(text, Loader=yaml.SafeLoader)
        assert yaml.load(text, Loader=yaml.CSafeLoader) == pure, path
        assert _read(path) == pure, path


def test_a_yaml_syntax_error_keeps_pyyamls_message_and_a_reread_sees_the_fix(
        tmp_path: Path) -> None:
    path = _write(tmp_path, _raw())
    good = path.read_text("utf-8")
    broken = good.replace("name: gateway-maintenance", "name: [gateway-maintenance", 1)
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.load(broken, Loader=yaml.SafeLoader)
    assert f"not valid YAML: {pure.value}" in str(info.value)
    # same path, same size, rewritten at once: the cache is keyed by content, not mtime
    path.write_text(good.replace("severity: 3", "severity: 2", 1), encoding="utf-8")
    assert [r.severity for r in load_catalog(tmp_path)] == [2]
