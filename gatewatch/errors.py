"""Bad input, reported the kit's way: every problem at once, each naming the key path the way
`pulumi config set --path` spells it (`gatewatch:azure.gateways[1].id`), what is wrong and how
to fix it.

Shared by the config model (gatewatch/config/model.py, whose pydantic errors
gatewatch/config/fields.py renders as Problems), the policy pack and the rollout. No
third-party imports: the policy pack installs this module on its own.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Stands for an encrypted config value in offline runs (see config.read_stack_file).
SECRET_PLACEHOLDER = "<secret: encrypted in the stack file>"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where, what, and the fix."""

    path: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}; {self.fix}"


class ConfigError(Exception):
    """Raised once, after the whole input is read, with every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def child(path: str, key: str | int) -> str:
    """The path of a mapping key or list index below `path`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if not path.endswith(":") else f"{path}{key}"


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, _dt.date):
        return "a YAML date (unquoted)"
    return "null" if value is None else type(value).__name__
