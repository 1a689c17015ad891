"""What every catalog file is held to (key order, scalars, durations) and how it is read
(libyaml, cached by content), each mistake rejected with the file and key named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewatch.catalog.files import parse_duration
from gatewatch.catalog.load import load
from gatewatch.catalog.model import LogSearchAlertRule
from gatewatch.errors import BadInput
from gatewatch.paths import ALERTS_DIR, QUERIES_DIR
from tests.support.catalog import expect_error, raw_alert, write


@pytest.mark.parametrize(("edit", "key", "words"), [
    pytest.param(lambda d: d.update(frequency="PT5M"), "frequency", "unknown key",
                 id="unknown_key"),
    pytest.param(lambda d: d.pop("tuning"), "tuning", "missing required key", id="missing_key"),
    pytest.param(lambda d: d.update(severity=5), "severity", "0 to 4",
                 id="severity_out_of_range"),
    pytest.param(lambda d: d.update(windowSize="15 minutes"), "windowSize", "ISO 8601",
                 id="malformed_duration"),
])
def test_a_mistake_in_a_file_is_named(
        tmp_path: Path, edit: Callable[[dict[str, Any]], object], key: str, words: str) -> None:
    data = raw_alert()
    edit(data)
    expect_error(tmp_path, data, key, words)


def test_keys_out_of_order(tmp_path: Path) -> None:
    data = raw_alert()
    reordered = {"name": data.pop("name"), **data}
    expect_error(tmp_path, reordered, "name", "out of order")


def test_parse_duration() -> None:
    assert parse_duration("PT5M").total_seconds() == 300
    assert parse_duration("P1DT2H").total_seconds() == 26 * 3600
    with pytest.raises(ValueError):
        parse_duration("PT")


def test_the_fast_yaml_loader_reads_every_catalog_file_as_pyyamls_own_does() -> None:
    """read() parses with libyaml (CSafeLoader) for speed; the values must be those of the pure
    SafeLoader, the loader the catalog was written against."""
    from gatewatch.catalog.files import FAST_LOADER, read

    assert FAST_LOADER is yaml.CSafeLoader, "libyaml missing: the catalog loads 10x slower"
    files = sorted(ALERTS_DIR.rglob("*.yaml")) + sorted(QUERIES_DIR.rglob("*.yaml"))
    assert len(files) >= 20
    for path in files:
        text = path.read_text("utf-8")
        pure = yaml.load(text, Loader=yaml.SafeLoader)
        assert yaml.load(text, Loader=yaml.CSafeLoader) == pure, path
        assert read(path) == pure, path


def test_a_yaml_syntax_error_keeps_pyyamls_message_and_a_reread_sees_the_fix(
        tmp_path: Path) -> None:
    path = write(tmp_path, raw_alert())
    good = path.read_text("utf-8")
    broken = good.replace("name: gateway-maintenance", "name: [gateway-maintenance", 1)
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(BadInput) as info:
        load(LogSearchAlertRule, tmp_path)
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.load(broken, Loader=yaml.SafeLoader)
    assert f"not valid YAML: {pure.value}" in str(info.value)
    # same path, same size, rewritten at once: the cache is keyed by content, not mtime
    path.write_text(good.replace("severity: 3", "severity: 2", 1), encoding="utf-8")
    assert [r.severity for r in load(LogSearchAlertRule, tmp_path)] == [2]
