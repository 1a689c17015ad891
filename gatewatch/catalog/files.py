"""Reading one catalog file: its YAML, the checks every kind of entry shares, and errors that
name the file and the key (`alerts/tunnel-drop.yaml: trigger.threshold: ...`), or the file and
the line for a query (`alerts/tunnel-drop.yaml:12: query: ...`).

Every error is a `gatewatch.errors.BadInput` with one line: a catalog file is the kit's input
as much as the stack config is, and a caller that reports bad input reports it too.
"""

from __future__ import annotations

import copy
import functools
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from gatewatch.errors import BadInput
from gatewatch.paths import ALERTS_DIR

_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?)?$")


def fail(source: Path, key: str, problem: str) -> BadInput:
    return BadInput(f"{source}: {key}: {problem}")


def check_keys(
    source: Path, where: str, data: Any, keys: tuple[str, ...], optional: frozenset[str]
) -> Mapping[str, Any]:
    """Unknown, missing and out-of-order keys, named. Order matters: files diff cleanly."""
    prefix = f"{where}." if where else ""
    if not isinstance(data, dict):
        raise fail(source, where or "(file)", "expected a mapping")
    unknown = [k for k in data if k not in keys]
    if unknown:
        raise fail(
            source, prefix + str(unknown[0]), f"unknown key; allowed keys are {', '.join(keys)}"
        )
    missing = [k for k in keys if k not in data and k not in optional]
    if missing:
        raise fail(source, prefix + missing[0], "missing required key")
    expected = [k for k in keys if k in data]
    if list(data) != expected:
        first = next(a for a, b in zip(data, expected, strict=True) if a != b)
        order = ", ".join(expected)
        raise fail(source, prefix + str(first), f"keys out of order; expected {order}")
    return data


# libyaml's scanner and parser, PyYAML's own safe constructor and resolver: the same values
# (tests/catalog/test_files.py compares both on every catalog file), ten times faster.
FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=512)
def _parse(text: str) -> Any:
    """The YAML document in ``text``. Cached by the text itself (not by path or mtime, which
    can miss a rewrite): a plan and a test session read the same few files many times."""
    try:
        return yaml.load(text, Loader=FAST_LOADER)
    except yaml.YAMLError:
        # The message (reason, line, column) is the one PyYAML's pure parser gives.
        return yaml.safe_load(text)


def read(source: Path) -> Any:
    """A catalog file's YAML (a copy: callers may keep or change what they get)."""
    try:
        return copy.deepcopy(_parse(source.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise fail(source, "(file)", f"not valid YAML: {exc}") from exc


def parse_duration(value: str) -> timedelta:
    """An ISO 8601 duration of days, hours and minutes ("PT5M", "P1DT2H") as a timedelta."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None or value in ("P", "PT") or value.endswith("T"):
        raise ValueError(f"{value!r} is not an ISO 8601 duration like PT5M, PT1H or P1D")
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"])


# --- one value --------------------------------------------------------------------------------

def text(source: Path, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail(source, key, "expected a non-empty string")
    return value


def description(source: Path, value: Any) -> str:
    """An alert's description: what the rule finds, starting 'Identifies ...'."""
    found = text(source, "description", value)
    if not found.startswith("Identifies "):
        raise fail(source, "description", "start with 'Identifies ...' (what the rule finds)")
    return found


def whole(source: Path, key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise fail(source, key, f"expected an integer from {low} to {high}, got {value!r}")
    return value


def severity(source: Path, value: Any) -> int:
    """Azure Monitor alert severity: 0 (critical) to 4 (verbose)."""
    return whole(source, "severity", value, 0, 4)


def boolean(source: Path, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise fail(source, key, f"expected true or false, got {value!r}")
    return value


def choice(source: Path, key: str, value: Any, choices: Iterable[str]) -> str:
    allowed = tuple(choices)
    if value not in allowed:
        raise fail(source, key, f"{value!r} is not one of {', '.join(allowed)}")
    return str(value)


def guid(source: Path, key: str, value: Any) -> str:
    found = text(source, key, value)
    try:
        canonical = str(uuid.UUID(found))
    except ValueError as exc:
        raise fail(source, key, f"{found!r} is not a GUID") from exc
    if canonical != found:
        raise fail(source, key, f"write the GUID in lower-case canonical form: {canonical}")
    return found


def slug(source: Path, key: str, value: Any) -> str:
    """An entry's name: a kebab-case slug, the file's own name."""
    found = text(source, key, value)
    if not _KEBAB.match(found) or len(found) > 60:
        raise fail(source, key, f"{found!r} must be a kebab-case slug (a-z, 0-9, '-'), <= 60")
    if source.stem != found:
        raise fail(source, key, f"{found!r} must match the file name {source.name!r}")
    return found


def duration(source: Path, key: str, value: Any) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise fail(source, key, str(exc)) from exc


# --- queries: includes and lines ---------------------------------------------------------------

_INCLUDE = re.compile(r"^(?P<indent>[ \t]*)//[ \t]*@include[ \t]+(?P<path>\S+)[ \t]*$",
                      re.MULTILINE)


def expand_includes(query: str, source: Path, base: Path = ALERTS_DIR) -> str:
    """The query with each `// @include <path>` line replaced by that file (relative to
    alerts/): a piece of KQL that several queries run (the tunnel-drop classification, read by
    the alert and the workbook) lives in one file."""

    def include(match: re.Match[str]) -> str:
        path = (base / match.group("path")).resolve()
        if base.resolve() not in path.parents or not path.is_file():
            raise fail(source, "query", f"@include {match.group('path')}: no such file under "
                                        f"{base}")
        body = path.read_text(encoding="utf-8").rstrip("\n")
        return "\n".join(match.group("indent") + line if line else line
                         for line in body.splitlines())

    return _INCLUDE.sub(include, query)


def query_first_line(source: Path) -> int:
    """The file line of the query's first line (`query: |` block scalar: the line after)."""
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    for number, line in enumerate(lines, start=1):
        if line.startswith("query:"):
            return number + (0 if line.rstrip() not in ("query: |", "query: |-", "query: >")
                             else 1)
    return 0
