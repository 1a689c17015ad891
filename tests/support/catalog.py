"""Edited copies of catalog files, and the check that loading one fails naming file and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewatch.catalog.load import load
from gatewatch.catalog.model import LogSearchAlertRule
from gatewatch.errors import BadInput
from gatewatch.paths import ALERTS_DIR


def raw_alert(name: str = "gateway-maintenance") -> dict[str, Any]:
    """A log search alert file of the catalog, as YAML data to edit."""
    data: dict[str, Any] = yaml.safe_load((ALERTS_DIR / f"{name}.yaml").read_text("utf-8"))
    return data


def write(directory: Path, data: dict[str, Any], stem: str | None = None) -> Path:
    path = directory / f"{stem or data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def expect_error(tmp_path: Path, data: dict[str, Any], key: str, words: str) -> None:
    """Loading `data` as a log search alert of `tmp_path` fails naming the file and `key`."""
    path = write(tmp_path, data)
    with pytest.raises(BadInput) as info:
        load(LogSearchAlertRule, tmp_path)
    message = str(info.value)
    assert str(path) in message and f": {key}:" in message, message
    assert words in message, message
