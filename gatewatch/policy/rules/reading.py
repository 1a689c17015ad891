"""Small readers the rules share: how a message names a resource, and a case-free string."""

from __future__ import annotations

from typing import Any

from gatewatch.checks.model import Resource


def lower(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) else None


def label(resource: Resource) -> str:
    return f"'{resource.name}'"
