"""The config model's rules in the kit's words, on pydantic.

pydantic finds the problems and their paths; `problems_from` turns its errors into `Problem`s
(key path, what is wrong, the fix). Rules pydantic has no words for (a region, an ARM id, "A
needs B") are declared on the model with the `FieldRule` metadata below (`Text`, `Whole`, `Number`,
`Choice`), whose message and fix travel inside the error (`fail`, `Issues`).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationError
from pydantic_core import PydanticCustomError, core_schema

from gatewatch.errors import SECRET_PLACEHOLDER, Problem, child, did_you_mean, type_name

# In a message or fix: replaced by the key path of the value the rule was declared on.
HERE = "{here}"
_ERROR_TYPE = "gatewatch"
ENCRYPTED = ("is stored encrypted (a Pulumi secret), and the offline plan cannot decrypt a "
             "value it must read")
ENCRYPTED_FIX = (f"store {HERE} in clear (it is not a secret), or let `pulumi preview` check "
                 "it: it decrypts secrets")
# In the JSON Schema: a value stored with `pulumi config set --secret`
# (gatewatch/config/json_schema.py
# turns the marker into a reference to its PulumiSecret definition).
SECRET_REF: dict[str, Any] = {"x-pulumi-secret": True}


# --- rules with the kit's own words --------------------------------------------------------

Loc = Sequence[str | int]


class Issues:
    """Problems one rule finds (a cross-field check may find several); `check` raises them as
    one pydantic error that `problems_from` expands. `at` is relative to where the rule is
    declared; HERE in a message or fix becomes that place's key path."""

    def __init__(self) -> None:
        self.items: list[tuple[list[str | int], str, str]] = []

    def add(self, at: Loc, message: str, fix: str) -> None:
        self.items.append((list(at), message, fix))

    def check(self) -> None:
        if self.items:
            raise PydanticCustomError(_ERROR_TYPE, "{summary}", {
                "summary": "; ".join(m for _, m, _ in self.items), "problems": self.items})


def fail(message: str, fix: str, at: Loc = ()) -> PydanticCustomError:
    """One problem, raised from a validator."""
    return PydanticCustomError(_ERROR_TYPE, "{summary}",
                               {"summary": message, "problems": [(list(at), message, fix)]})


def duplicates(values: Sequence[Any], key: Callable[[Any], str | None], at: Loc, what: str,
               *, why: str = "") -> Issues:
    """Entries of a list whose `key` repeats an earlier one (None: not compared)."""
    issues = Issues()
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        k = key(value)
        if k is None:
            continue
        if k in seen:
            first = "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                            for p in (seen[k], *at))
            issues.add((index, *at), f"duplicate of {HERE}{first}", f"list each {what} once{why}")
        else:
            seen[k] = index
    return issues


class FieldRule:
    """Annotated metadata declaring one rule with its JSON Schema, e.g.
    `Annotated[StrictStr, Text(r"[a-z]+", what="a name", fix="use letters")]`: `validate`
    runs after pydantic's own type check and raises `fail(...)`."""

    def validate(self, value: Any) -> Any:
        return value

    def json_schema(self) -> dict[str, Any]:
        return {}

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.validate, handler(source))

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler
                                     ) -> dict[str, Any]:
        return self.json_schema()


@dataclass(frozen=True)
class Text(FieldRule):
    """A string matching `pattern` (fullmatch); otherwise "'<value>' is not <what>; <fix>".
    `check` adds a rule a pattern cannot say (it raises `fail`); `enum` lists the accepted
    values for editors. `secret`: the value is never repeated in a message (a webhook URL
    carries its token). `secret_ok`: an encrypted value (SECRET_PLACEHOLDER) is accepted
    unread, since offline runs cannot decrypt it (`pulumi preview` checks the real one);
    other keys must be in clear."""

    pattern: str | None
    what: str
    fix: str
    secret: bool = False
    secret_ok: bool = False
    check: Callable[[str], None] | None = None
    enum: Callable[[], Sequence[str]] | None = None

    def validate(self, value: str) -> str:
        if value == SECRET_PLACEHOLDER:
            if self.secret_ok:
                return value
            raise fail(ENCRYPTED, ENCRYPTED_FIX)
        shown = "the value (not shown: it may carry a secret)" if self.secret else f"'{value}'"
        if not value.strip():
            raise fail("is an empty string", self.fix or f"set {HERE}")
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise fail(f"{shown} is not {self.what}", self.fix)
        if self.check is not None:
            self.check(value)
        return value

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any]
        if self.enum is not None:
            schema = {"enum": list(self.enum())}
        else:
            schema = {"type": "string", "minLength": 1}
            if self.pattern:
                schema["pattern"] = f"^(?:{self.pattern})$"
        return {"anyOf": [schema, SECRET_REF]} if self.secret_ok else schema


@dataclass(frozen=True)
class Whole(FieldRule):
    """A whole number from lo to hi (or one of `allowed`)."""

    lo: int
    hi: int
    allowed: tuple[int, ...] = ()

    def validate(self, value: int) -> int:
        if self.allowed and value not in self.allowed:
            raise fail(f"{value} is not an accepted value",
                       f"use one of {', '.join(str(a) for a in self.allowed)}")
        if not self.lo <= value <= self.hi:
            raise fail(f"{value} is out of range", f"use a value from {self.lo} to {self.hi}")
        return value

    def json_schema(self) -> dict[str, Any]:
        if self.allowed:
            return {"enum": list(self.allowed)}
        return {"type": "integer", "minimum": self.lo, "maximum": self.hi}


@dataclass(frozen=True)
class Number(FieldRule):
    """A finite number above `gt`, at most `le` (`why` says where the maximum comes from)."""

    gt: float
    le: float
    why: str

    def validate(self, value: float) -> float:
        gt, le = self.gt, self.le
        if not math.isfinite(value):
            raise fail(f"{value} is not a finite number", f"set {HERE} to a number")
        if value <= gt:
            raise fail(f"{value:g} must be greater than {gt:g}", f"set {HERE} above {gt:g}")
        if value > le:
            raise fail(f"{value:g} is more than {le:g}, the kit's maximum ({self.why})",
                       f"set {HERE} above {gt:g} and at most {le:g}")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "number", "exclusiveMinimum": self.gt, "maximum": self.le}


@dataclass(frozen=True)
class Choice(FieldRule):
    """One of `values`, spelled exactly."""

    values: tuple[str, ...]

    def validate(self, value: str) -> str:
        values = self.values
        if value not in values:
            close = [v for v in values if v.lower() == value.lower()]
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise fail(f"'{value}' is not one of {', '.join(values)}",
                       f"{hint}use one of {', '.join(values)} (case matters)")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"enum": list(self.values)}


# --- pydantic errors in the kit's words ----------------------------------------------------

def _unwrap(annotation: Any) -> Any:
    """`Annotated[X, ...]` and `X | None` -> X."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class found at `loc` below `root` (walking fields by alias, list items and
    mapping values), or None."""
    annotation: Any = root
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = {(f.alias or n): f for n, f in annotation.model_fields.items()}
            if not isinstance(part, str) or part not in fields:
                return None
            annotation = fields[part].annotation
        else:
            args = [a for a in get_args(annotation) if a is not Ellipsis]
            if not args:
                return None
            annotation = args[0] if isinstance(part, int) else args[-1]
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def path_of(base: str, loc: Loc) -> str:
    path = base
    for part in loc:
        path = child(path, part)
    return path


def _describe(error: Any, root: type[BaseModel], loc: list[str | int], path: str
              ) -> tuple[str, str]:
    kind: str = error["type"]
    value = error.get("input")
    if value == SECRET_PLACEHOLDER:
        return ENCRYPTED, ENCRYPTED_FIX
    if kind == "missing":
        return "missing", f"set {path}"
    if value is None and kind != "extra_forbidden":
        return "has no value", f"set {path}"
    if kind == "extra_forbidden":
        parent = model_at(root, loc[:-1])
        allowed = keys_of(parent) if parent else []
        hint = did_you_mean(str(loc[-1]), allowed) or "remove it "
        return "unknown key", f"{hint.rstrip()} (allowed: {', '.join(allowed)})"
    if kind in ("model_type", "model_attributes_type", "dict_type", "mapping_type"):
        model = model_at(root, loc)
        example = getattr(model, "example", None)
        fix = (f"write it as a mapping, for example {example}" if example else
               f"write it as a mapping with keys {', '.join(keys_of(model))}" if model else
               "write it as a mapping of key: value pairs")
        return f"expected a mapping, got {type_name(value)}", fix
    if kind in ("list_type", "tuple_type", "set_type", "frozen_set_type", "iterable_type"):
        return f"expected a list, got {type_name(value)}", f"write {path} as a YAML list"
    if kind == "too_short":
        if isinstance(value, dict):
            return "is empty", f"fill in {path} or remove it"
        return "is an empty list", "list at least one entry"
    if kind == "string_type":
        if isinstance(value, _dt.date):
            iso = value.isoformat()
            return (f"{iso} was read by YAML as a date, not as text",
                    f'keep the format and quote it: "{iso}"')
        return (f"expected a non-empty string, got {type_name(value)}",
                f"set {path} to a string (quoted in YAML)")
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return (f"expected a whole number, got {type_name(value)} {value!r}",
                f"set {path} to a whole number")
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {type_name(value)} {value!r}", f"set {path} to a number"
    if kind in ("bool_type", "bool_parsing"):
        return (f"expected true or false, got {type_name(value)} {value!r}",
                f"set {path} to true or false")
    return str(error.get("msg", "is not valid")), "see Pulumi.yaml for the accepted values"


def problems_from(error: ValidationError, root: type[BaseModel], base: str) -> list[Problem]:
    """pydantic's errors as Problems; `base` is the path prefix of `root` ("gatewatch:")."""
    out: list[Problem] = []
    for item in error.errors(include_url=False):
        # A mapping key's own error (`[key]`) is reported at the key.
        loc: list[str | int] = [p for p in item["loc"] if p != "[key]"]
        if item["type"] == _ERROR_TYPE:
            here = path_of(base, loc)
            for at, message, fix in item["ctx"]["problems"]:
                out.append(Problem(path_of(here, at), message.replace(HERE, here),
                                   fix.replace(HERE, here)))
            continue
        path = path_of(base, loc)
        message, fix = _describe(item, root, loc, path)
        out.append(Problem(path, message, fix.replace(HERE, path)))
    return out
