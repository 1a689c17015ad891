"""Read a `pulumi stack export` file for `gatewatch policy check`: its structure is judged by a
JSON Schema of the fields the pack reads, with the `jsonschema` library, before any rule runs. A
file that is not what Pulumi writes is refused with one line naming the file and the JSON path of
the first problem (`deployment.resources[3].inputs: expected an object, got a list`), never a
traceback.

The schema is the subset of Pulumi's own that the pack reads, with the types Pulumi writes:

- "DeploymentV3" and "ResourceV3" in pulumi/pulumi sdk/go/common/apitype/core.go
  (https://github.com/pulumi/pulumi/blob/master/sdk/go/common/apitype/core.go): `urn`, `type`,
  `parent` strings, `custom` a boolean, `id` a string, `inputs`/`outputs` maps of property
  values, `dependencies` a list of URNs, `propertyDependencies` a map from a property name to a
  list of URNs; every field but `urn` and `custom` is `omitempty`;
- "Pulumi Resource State" (https://github.com/pulumi/pulumi/blob/master/sdk/go/common/apitype/resources.json),
  the JSON Schema of ResourceV3, which requires only `urn`.

Only the CLI reads files, so only this module needs `jsonschema`: the pack's rules and its wheel
(policies/build.py REQUIRED_IN_WHEEL) never import it.

Speed: validating 100k resources one by one with jsonschema takes seconds. The schema constrains
nothing but JSON types (a test keeps it so), so two resources whose fields have the same types
validate alike: each distinct shape is validated once. Depth: Python's JSON reader refuses to nest
deeper than the interpreter's recursion limit (RecursionError, said here as one line), and the
adapter bounds the depth of each property value (gatewatch.policy.resources.MAX_DEPTH).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from itertools import chain
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft202012Validator

from gatewatch.checks.model import Resource
from gatewatch.errors import BadInput, Problem
from gatewatch.policy.resources import MAX_DEPTH, TooDeep, from_export_resource

FIX: Final = "pass the output of `pulumi stack export --file FILE` (deployment version 3)"
_URNS: Final[Mapping[str, Any]] = {"type": "array", "items": {"type": "string"}}

RESOURCE_SCHEMA: Final[Mapping[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "ResourceV3, the fields the gatewatch pack reads",
    "type": "object",
    "required": ["urn"],
    "properties": {
        "urn": {"type": "string"},
        "type": {"type": "string"},
        "custom": {"type": "boolean"},
        "id": {"type": "string"},
        "parent": {"type": "string"},
        "inputs": {"type": "object"},
        "outputs": {"type": "object"},
        "dependencies": _URNS,
        "propertyDependencies": {"type": "object", "additionalProperties": _URNS},
    },
}

EXPORT_SCHEMA: Final[Mapping[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "UntypedDeployment holding a DeploymentV3 (resources judged by RESOURCE_SCHEMA)",
    "type": "object",
    "required": ["version", "deployment"],
    "properties": {
        "version": {"type": "integer"},
        "deployment": {"type": "object", "properties": {"resources": {"type": "array"}}},
    },
}

_EXPORT = Draft202012Validator(EXPORT_SCHEMA)
_RESOURCE = Draft202012Validator(RESOURCE_SCHEMA)
_JSON_TYPES: Final = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
                      int: "a number", float: "a number", type(None): "null"}
_ARTICLE: Final = {"object": "an object", "array": "a list", "string": "a string",
                   "boolean": "a boolean", "integer": "an integer", "number": "a number"}
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def json_path(parts: Iterable[str | int]) -> str:
    """`deployment.resources[3].inputs`, quoting a key that is not a plain name."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _NAME.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def _problem(path: Path, message: str, fix: str = FIX) -> BadInput:
    return BadInput([Problem(str(path), message, fix)])


def _first_error(validator: Draft202012Validator, instance: Any,
                 prefix: tuple[str | int, ...]) -> str | None:
    """The first problem jsonschema finds, said as `<JSON path>: <what is wrong>`."""
    error = next(iter(validator.iter_errors(instance)), None)
    if error is None:
        return None
    where = json_path((*prefix, *error.absolute_path))
    if error.validator == "required":
        missing = next((k for k in error.validator_value if k not in error.instance), "?")
        return f"{where or 'the file'}: has no {missing}"
    if error.validator == "type":
        expected = _ARTICLE.get(str(error.validator_value), str(error.validator_value))
        got = _JSON_TYPES.get(type(error.instance), type(error.instance).__name__)
        return f"{where or 'the file'}: expected {expected}, got {got}"
    return f"{where or 'the file'}: {error.message}"


class _Absent:
    """The type of a field a resource leaves out (omitempty), unlike one that is null."""


_FIELDS: Final = tuple(RESOURCE_SCHEMA["properties"])
_ABSENT: Final = (_Absent(),) * len(_FIELDS)


def _shape(resource: Any) -> Any:
    """Everything RESOURCE_SCHEMA judges about a resource: its fields' JSON types, and those of
    the URNs in `dependencies` and `propertyDependencies` (C-speed maps: this runs per
    resource)."""
    if type(resource) is not dict:
        return type(resource)
    fields = tuple(map(type, map(resource.get, _FIELDS, _ABSENT)))
    deps = resource.get("dependencies")
    prop_deps = resource.get("propertyDependencies")
    dep_items = frozenset(map(type, deps)) if deps and type(deps) is list else None
    if not prop_deps or type(prop_deps) is not dict:
        return fields, dep_items
    lists = frozenset(map(type, prop_deps.values()))
    # A value that is not a list makes the resource invalid whatever the items are.
    items = frozenset(map(type, chain.from_iterable(prop_deps.values()))) \
        if lists == {list} else None
    return fields, dep_items, lists, items


def read_export_document(path: Path) -> Any:
    """The file's JSON, or BadInput (one line) if it cannot be read or is not JSON."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _problem(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise _problem(path, f"cannot read it ({error})") from None
    try:
        return json.loads(text)
    except RecursionError:
        # The C decoder checks the depth against the recursion limit (Py_EnterRecursiveCall)
        # and stops there: nothing deeper is ever read.
        raise _problem(path, "nested too deep to read (a stack export nests its values a "
                             f"few levels; the pack reads up to {MAX_DEPTH})") from None
    except ValueError as error:
        raise _problem(path, f"not JSON ({error})") from None


def load_stack_export(path: Path) -> list[Resource]:
    """Read a `pulumi stack export` file; BadInput (one line: the file, the JSON path of the
    first problem, the fix) if it is not one."""
    doc = read_export_document(path)
    if isinstance(doc, dict) and not {"version", "deployment"} <= doc.keys():
        missing = " and ".join(repr(k) for k in ("version", "deployment") if k not in doc)
        raise _problem(path, f"not a stack export (no {missing})")
    problem = _first_error(_EXPORT, doc, ())
    if problem is not None:
        raise _problem(path, problem)
    if doc["version"] != 3:
        raise _problem(path, f"deployment version {doc['version']!r} is not supported",
                       "export it with a current Pulumi CLI (version 3)")
    valid: dict[Any, bool] = {}
    out: list[Resource] = []
    for i, resource in enumerate(doc["deployment"].get("resources", ())):
        shape = _shape(resource)
        ok = valid.get(shape)
        if ok is None:
            ok = valid[shape] = _RESOURCE.is_valid(resource)
        if not ok:
            raise _problem(path, _first_error(_RESOURCE, resource, ("deployment", "resources", i))
                           or f"deployment.resources[{i}]: not a ResourceV3")
        try:
            out.append(from_export_resource(resource))
        except TooDeep as error:
            where = json_path(("deployment", "resources", i, error.field))
            raise _problem(path, f"{where}: nested more than {MAX_DEPTH} levels deep", FIX
                           ) from None
    return out
