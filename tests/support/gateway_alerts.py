"""Microsoft's metric table of virtual network gateways, read without the code under test."""

from __future__ import annotations

import json
from typing import Any

from gatewatch.azure.metrics import METRICS_FILE


def documented() -> dict[str, dict[str, Any]]:
    """Read the vendored table directly (not through the loader under test)."""
    data = json.loads(METRICS_FILE.read_text(encoding="utf-8"))
    return {m["name"]: m for m in data["metrics"]}
