"""A focused checker of request bodies against Microsoft's bicep-types (types.json).

bicep-types-az is generated from azure-rest-api-specs and carries what a template schema does not
make plain: Required / ReadOnly flags, closed string unions, int versus string, discriminated
objects by their wire discriminator. `check(body, resource_type)` walks a body as ARM receives it
and returns the problems (unknown property, missing required one, read-only one sent, wrong type,
value outside a closed union). The files are vendored in gatewatch/vendor/bicep-types.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).resolve().parents[1] / "gatewatch" / "vendor" / "bicep-types"
REQUIRED, READ_ONLY = 1, 2


@cache
def _types(file: str) -> list[dict[str, Any]]:
    return list(json.loads((VENDOR / file).read_text(encoding="utf-8")))


def _deref(types: list[dict[str, Any]], ref: dict[str, Any]) -> dict[str, Any]:
    return types[int(ref["$ref"].split("/")[-1])]


def body_type(file: str, resource_type: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    types = _types(file)
    for t in types:
        if t.get("$type") == "ResourceType" and t["name"] == resource_type:
            return types, _deref(types, t["body"])
    raise KeyError(f"{resource_type} not in {file}")


def _literals(types: list[dict[str, Any]], t: dict[str, Any]) -> tuple[list[str], bool]:
    """A union's string literals, and whether it is open (also takes any string)."""
    values, open_ = [], False
    for ref in t["elements"]:
        e = _deref(types, ref)
        if e["$type"] == "StringLiteralType":
            values.append(e["value"])
        else:
            open_ = True
    return values, open_


def _check(types: list[dict[str, Any]], t: dict[str, Any], value: Any, path: str,
           out: list[str]) -> None:
    kind = t["$type"]
    if kind == "AnyType":
        return
    if kind == "StringType":
        if not isinstance(value, str):
            out.append(f"{path}: expected a string, got {value!r}")
    elif kind == "IntegerType":
        # Pulumi's wire format (protobuf Struct) carries every number as a double; the
        # provider writes an integral one as an int. 1.5 is still wrong.
        integral = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not integral:
            out.append(f"{path}: expected an integer, got {value!r}")
    elif kind == "BooleanType":
        if not isinstance(value, bool):
            out.append(f"{path}: expected true/false, got {value!r}")
    elif kind == "StringLiteralType":
        if value != t["value"]:
            out.append(f"{path}: expected {t['value']!r}, got {value!r}")
    elif kind == "UnionType":
        values, open_ = _literals(types, t)
        if not isinstance(value, str) or (not open_ and value not in values):
            out.append(f"{path}: {value!r} is not one of {values}")
    elif kind == "ArrayType":
        if not isinstance(value, list):
            out.append(f"{path}: expected a list, got {value!r}")
            return
        item = _deref(types, t["itemType"])
        for i, v in enumerate(value):
            _check(types, item, v, f"{path}[{i}]", out)
    elif kind == "ObjectType":
        _check_object(types, t.get("properties", {}), t.get("additionalProperties"), value,
                      path, out)
    elif kind == "DiscriminatedObjectType":
        if not isinstance(value, dict):
            out.append(f"{path}: expected an object, got {value!r}")
            return
        key = t["discriminator"]
        tag = value.get(key)
        if tag not in t["elements"]:
            out.append(f"{path}.{key}: {tag!r} is not one of {sorted(t['elements'])}")
            return
        element = _deref(types, t["elements"][tag])
        props = {**t.get("baseProperties", {}), **element.get("properties", {})}
        _check_object(types, props, element.get("additionalProperties"), value, path, out)
    else:
        out.append(f"{path}: unhandled type {kind}")


def _check_object(types: list[dict[str, Any]], props: dict[str, Any], extra: Any, value: Any,
                  path: str, out: list[str]) -> None:
    if not isinstance(value, dict):
        out.append(f"{path}: expected an object, got {value!r}")
        return
    for name, spec in props.items():
        if spec.get("flags", 0) & REQUIRED and not spec.get("flags", 0) & READ_ONLY \
                and name not in value:
            out.append(f"{path}.{name}: required, missing")
    for name, v in value.items():
        spec = props.get(name)
        if spec is None:
            if extra is None:
                out.append(f"{path}.{name}: not a property of this type")
            else:
                _check(types, _deref(types, extra), v, f"{path}.{name}", out)
            continue
        if spec.get("flags", 0) & READ_ONLY:
            out.append(f"{path}.{name}: read-only, must not be sent")
            continue
        _check(types, _deref(types, spec["type"]), v, f"{path}.{name}", out)


def check(body: dict[str, Any], file: str, resource_type: str) -> list[str]:
    types, top = body_type(file, resource_type)
    out: list[str] = []
    # name/type/id/apiVersion come from the URL and the request, not the body.
    _check(types, top, body, "$", out)
    return out


def wire(value: Any) -> Any:
    """SDK input names to the wire names the provider sends (swagger serialized names)."""
    if isinstance(value, dict):
        return {("odata.type" if k == "odataType" else k): wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v) for v in value]
    return value


def arm_body(inputs: dict[str, Any], path_params: tuple[str, ...],
             top_level: tuple[str, ...] = ("location", "tags")) -> dict[str, Any]:
    """A resource's recorded SDK inputs as the ARM body: path parameters dropped, top-level
    keys kept, the rest under `properties` (x-ms-client-flatten)."""
    body: dict[str, Any] = {"name": "x"}
    props: dict[str, Any] = {}
    for key, value in inputs.items():
        if key in path_params:
            continue
        (body if key in top_level else props)[key] = wire(value)
    body["properties"] = props
    return body
