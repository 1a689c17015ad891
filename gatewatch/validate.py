"""A small reader for untyped config trees that collects every problem instead of stopping at
the first, so a user fixes a stack file in one go. Each problem names the key path the way
`pulumi config set --path` spells it (`gatewatch:azure.gateways[1].id`), says what is wrong and
how to fix it.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


@dataclass
class Reader:
    """Typed accessors that record a Problem and return None when a value is unusable."""

    problems: list[Problem] = field(default_factory=list)

    def problem(self, path: str, message: str, fix: str) -> None:
        self.problems.append(Problem(path, message, fix))

    def raise_if_any(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)

    def first_seen(self, seen: dict[str, str], key: str, path: str, what: str) -> bool:
        """True the first time `key` appears; later times record a duplicate problem."""
        if key in seen:
            self.problem(path, f"duplicate of {seen[key]}", f"list each {what} once")
            return False
        seen[key] = path
        return True

    def mapping(
        self,
        value: Any,
        path: str,
        *,
        allowed: Iterable[str],
        required: Iterable[str] = (),
        example: str = "",
    ) -> dict[str, Any] | None:
        """Check `value` is a mapping with no unknown keys (typos must not pass silently)."""
        allowed = tuple(allowed)
        if not isinstance(value, Mapping):
            hint = f"write it as a mapping, for example {example}" if example else (
                "write it as a mapping with keys " + ", ".join(allowed)
            )
            self.problem(path, f"expected a mapping, got {_type_name(value)}", hint)
            return None
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                fix = f"did you mean '{close[0]}'?" if close else "remove it"
                self.problem(
                    child(path, str(key)),
                    "unknown key",
                    f"{fix} (allowed: {', '.join(allowed)})",
                )
                continue
            out[key] = item
        for key in required:
            if out.get(key) is None:
                # Present but null (`location:` with nothing after it) is as missing as absent:
                # silently dropping a section would make `pulumi up` delete what it declared.
                what = "has no value" if key in value else "missing"
                self.problem(child(path, key), what, f"set {child(path, key)}")
        return out

    def string(
        self,
        m: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = False,
        pattern: re.Pattern[str] | None = None,
        what: str = "",
        fix: str = "",
        choices: Iterable[str] = (),
    ) -> str | None:
        p = child(path, key)
        value = m.get(key)
        if value is None:
            if required and key in m:
                self.problem(p, "is empty", fix or f"set {p}")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(p, f"expected a non-empty string, got {_type_name(value)}",
                         fix or f"set {p} to a string")
            return None
        if value == SECRET_PLACEHOLDER:
            return value  # cannot be read offline; the real run checks the decrypted value
        choices = tuple(choices)
        if choices and value not in choices:
            self.problem(p, f"'{value}' is not one of {', '.join(choices)}",
                         f"use one of {', '.join(choices)} (case matters)")
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.problem(p, f"'{value}' is not {what or 'valid'}", fix or "correct the value")
            return None
        return value

    def integer(
        self,
        m: Mapping[str, Any],
        key: str,
        path: str,
        *,
        lo: int | None = None,
        hi: int | None = None,
        allowed: Iterable[int] = (),
    ) -> int | None:
        p = child(path, key)
        value = m.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(p, f"expected a whole number, got {_type_name(value)} {value!r}",
                         f"set {p} to a whole number")
            return None
        allowed = tuple(allowed)
        if allowed and value not in allowed:
            self.problem(p, f"{value} is not an accepted value",
                         f"use one of {', '.join(str(a) for a in allowed)}")
            return None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.problem(p, f"{value} is out of range", f"use a value from {lo} to {hi}")
            return None
        return value

    def number(
        self, m: Mapping[str, Any], key: str, path: str, *, gt: float | None = None
    ) -> float | None:
        p = child(path, key)
        value = m.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(p, f"expected a number, got {_type_name(value)} {value!r}",
                         f"set {p} to a number")
            return None
        if not math.isfinite(value):
            self.problem(p, f"{value} is not a finite number", f"set {p} to a number")
            return None
        if gt is not None and value <= gt:
            self.problem(p, f"{value} must be greater than {gt}", f"set {p} above {gt}")
            return None
        return float(value)

    def boolean(self, m: Mapping[str, Any], key: str, path: str) -> bool | None:
        p = child(path, key)
        value = m.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.problem(p, f"expected true or false, got {_type_name(value)} {value!r}",
                         f"set {p} to true or false")
            return None
        return value

    def items(
        self, m: Mapping[str, Any], key: str, path: str, *, required: bool = False,
        what: str = "items",
    ) -> list[tuple[str, Any]]:
        """The entries of a list with their paths; an empty required list is a problem."""
        p = child(path, key)
        value = m.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(p, f"expected a list, got {_type_name(value)}",
                         f"write {p} as a YAML list of {what}")
            return []
        if required and not value:
            self.problem(p, "is an empty list", f"list at least one of the {what}")
        return [(child(p, i), item) for i, item in enumerate(value)]

    def string_map(self, m: Mapping[str, Any], key: str, path: str) -> dict[str, str]:
        p = child(path, key)
        value = m.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            self.problem(p, "expected a mapping of strings to strings",
                         f"write {p} as key: value pairs of strings")
            return {}
        return dict(value)
