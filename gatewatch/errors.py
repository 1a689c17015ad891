"""Bad input, reported the kit's way: every problem at once, each naming the key path the way
`pulumi config set --path` spells it (`gatewatch:azure.gateways[1].id`), what is wrong and how
to fix it.

Shared by the config model (gatewatch/config/model.py, whose pydantic errors
gatewatch/config/fields.py renders as Problems), the policy pack and the rollout. No
third-party imports: the policy pack installs this module on its own.
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Exit codes of every gatewatch command: success, the check or rollout found a problem, bad input
# (config, arguments, files, login), interrupted (128 + SIGINT, as a shell reports Ctrl-C).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of our output went away
# The one line every command prints on Ctrl-C.
INTERRUPTED = "gatewatch: interrupted (Ctrl-C); nothing was written or changed"

# Stands for an encrypted config value in offline runs (see config.stack_file.read_stack_file).
SECRET_PLACEHOLDER = "<secret: encrypted in the stack file>"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where, what, and the fix."""

    path: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}; {self.fix}"


class BadInput(Exception):
    """Bad input (stack config, flags, files): raised once, after the whole input is read, with
    every problem found, or with one line already naming the flag and the fix. Every command
    prints each line and exits EXIT_BAD_INPUT, without a traceback."""

    def __init__(self, problems: Iterable[Problem] | str):
        if isinstance(problems, str):
            self.problems: list[Problem] = []
            self.lines = [problems]
        else:
            self.problems = list(problems)
            self.lines = [str(p) for p in self.problems]
        super().__init__("\n".join(self.lines))


def closest(value: str, known: Iterable[str], *, cutoff: float = 0.6,
            ignore_case: bool = False) -> str | None:
    """The known value most like `value` by difflib's ratio (at least `cutoff`), for a
    did-you-mean; with `ignore_case`, compared case-insensitively and returned as known."""
    if ignore_case:
        lowered = {k.lower(): k for k in known}
        match = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=cutoff)
        return lowered[match[0]] if match else None
    match = difflib.get_close_matches(value, list(known), n=1, cutoff=cutoff)
    return match[0] if match else None


def did_you_mean(value: str, known: Iterable[str]) -> str:
    """`did you mean 'x'? ` before a fix, or nothing when no known value is close."""
    close = closest(value, known)
    return f"did you mean '{close}'? " if close else ""


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
